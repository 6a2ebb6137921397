#[gpm::main(procs)]
fn main() {}
