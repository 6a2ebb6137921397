#[gpm::main]
async fn main() {}
