"""The designer's graph: its shape, and its translations to and from pipeline YAML and specs.

A draft's graph is what the canvas edits (nodes, edges, settings, pipeline inputs and outputs). It
is never run directly: `to_document.graph_to_document` writes it as an Azure ML v2 pipeline job
document and `compiling.compile_graph` compiles that with the one compiler every front door uses,
then maps each problem back to the node and port it is about. `from_document.document_to_graph`
(import) and `from_spec.spec_to_graph` (clone a job) go the other way; `layout.layout` places
nodes. `shape` is the graph's contract, `checks` what is wrong with a graph before any lookup,
`names` the YAML names of its nodes, `problems` how a problem of a graph is said.
"""
