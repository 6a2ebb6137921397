//! The macros' compile errors, message and span, checked against the `.stderr` snapshots
//! in `tests/ui` (regenerate with `TRYBUILD=overwrite`). One test function: trybuild
//! builds gpm once for all the cases.

#[test]
fn compile_errors() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
