"""The production phase of a case: its table jobs, output checking, release and downloads (DESIGN §4, "The job").

The statistics engine (``stats_app``) computes and protects a table
(``stats_app.pipeline.build_table``); everything about *whose* table it is, who
may check it and when the case moves on lives here, in the case's app.
"""
