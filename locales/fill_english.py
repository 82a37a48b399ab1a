"""English is the source language: its catalog repeats every msgid (run by `make locales`)."""

from babel.messages.pofile import read_po, write_po

path = "locales/en/LC_MESSAGES/messages.po"
with open(path, "rb") as f:
    catalog = read_po(f)
for m in catalog:
    if not m.id:
        continue
    if isinstance(m.id, tuple):
        m.string = tuple(m.id)
    else:
        m.string = m.id
    m.flags.discard("fuzzy")
with open(path, "wb") as f:
    write_po(f, catalog, sort_output=True, include_previous=False, width=100)
