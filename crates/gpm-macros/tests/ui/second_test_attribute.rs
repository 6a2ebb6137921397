#[gpm::test]
#[test]
fn t() {}

fn main() {}
