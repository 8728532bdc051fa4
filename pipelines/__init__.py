"""The pipeline kernel: the PipelineSpec, the Azure ML YAML and designer-graph documents, the
compiler from either to a spec, and its validation.

Every front door (the designer, YAML from the CLI or REST, endpoint invocations) compiles here;
the runner executes only what comes out. It sits right above the asset app (`studio`), whose
registry it resolves references in, and below everything else.
"""
