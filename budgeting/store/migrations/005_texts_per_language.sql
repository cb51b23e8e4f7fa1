-- Service and project texts in other languages than the default (English): JSON mapping a
-- language code to its texts by field, e.g. {"cy": {"name": "Parciau", "description": ...}}.
-- A field left out falls back to the default language's text.
ALTER TABLE services ADD COLUMN translations VARCHAR DEFAULT '{}';
ALTER TABLE projects ADD COLUMN translations VARCHAR DEFAULT '{}';
