"""The workflow engine: the transition table and its words, next steps (guidance), the
notices of each step, and the recommenders' and bureau's steps that are not transitions."""
