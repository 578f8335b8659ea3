"""Step code of the churn example. Each module reads its resolved configuration from the JSON
file at $MLC_STEP_CONFIG (SPEC 6.2); mlc never reads the data itself."""
