"""Build hook for the optional C speed-ups; all metadata lives in pyproject.toml.

``optional=True``: where no C compiler is available the install still succeeds and the engine
uses its pure-Python fallback (same results, slower; ``guardrails.detection._lexicon_runs.native_available()`` tells).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "guardrails.detection._runscan",
            ["guardrails/detection/_runscan.c"],
            optional=True,
            extra_compile_args=["-O2"],
        )
    ]
)
