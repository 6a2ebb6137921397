#[gpm::test(stack_size = 1 << 16, procs = 1, stack_size = 1 << 20)]
fn t() {}

fn main() {}
