#[gpm::main(procs = 2, foo = 1)]
fn main() {}
