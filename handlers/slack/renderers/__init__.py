"""One module per group of reply types, each registering its Block Kit renderers with
`handlers.slack.blocks.renderer`. Every module in this folder is imported before the first render, so a
new reply type only needs a new module here."""
