"""Results → what people and programs read: text tables, JSON, CSV, Markdown, model cards,
lineage diagrams. Computes nothing."""
