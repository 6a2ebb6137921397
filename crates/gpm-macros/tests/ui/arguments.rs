#[gpm::test]
fn t(n: u32, m: u32) {
    let _ = n + m;
}

fn main() {}
