def step_errors(case):
    return {}
