"""The end-to-end demo: build a real knowledge graph from a local data mirror and run the pipeline."""
