"""Built-in scorers shared by several benchmarks; each module registers its scorers on import.

``choice`` and ``option_loglikelihood`` (multiple choice), ``math_equiv`` (Math-Verify equivalence),
``bleu`` and ``rouge`` (text similarity), ``ifeval`` (instruction following), ``code_exec`` and
``lcb_exec`` (model-written code run against tests in the sandbox). The registry in
:mod:`assay.scoring.scorer` imports a module the first time one of its names is asked for.
"""
