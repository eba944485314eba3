"""Scoring storyline against gold data: one module per stage evaluated.

Evaluation data is never bundled: every function takes the path of a dataset folder
(``../shared/eval/...``) and reads it where it lies.
"""
