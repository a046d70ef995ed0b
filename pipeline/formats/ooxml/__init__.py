"""What the Office Open XML formats share: DOCX, PPTX and XLSX are edited in place.

A package is read as a zip of XML parts (:mod:`.package`: the zip-bomb, encryption and
entity guards, relationships, writing back with every untouched entry byte for byte);
a paragraph's runs become one tagged segment and come back from its translation
(:mod:`.runs`: dominant formatting untagged, other formatting as ``<gN>`` spans,
anything that is not text as isolated ``<xN/>`` tags); translated text gets the
target-language settings (:mod:`.language`: language tags and East Asian fonts).

Each format keeps its own vocabulary (WordprocessingML, DrawingML, SpreadsheetML) and
its own walk; this package never re-serializes a part through a document model.
"""
