from pipeline.cli import main_entry

main_entry()
