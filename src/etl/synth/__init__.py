"""The synthetic corpus: a fictional province's annual reports with ground truth (`etl synth`),
and the evaluation of a warehouse against that truth (`etl eval`)."""
