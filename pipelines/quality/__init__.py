"""Quality checks: builders derive check frames from the warehouse (plain pandas), Great
Expectations suites in expectations/ decide which rows fail, and the outcomes go to
quality.check_result and the per-department review reports."""
