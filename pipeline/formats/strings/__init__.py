"""What the software-string formats (JSON, gettext PO, YAML) share: values as segments
(:mod:`.message`), CLDR plurals (:mod:`.plurals`), ICU messages (:mod:`.icu`), the
splicing document, key selection and output names (:mod:`.catalog`)."""
