//! A stable colour per goroutine id, so g12 has the same colour in every trace: the hue
//! steps by the golden angle from one id to the next (neighbouring ids, often related
//! goroutines, look far apart), and a hash of the id varies saturation and lightness.

/// `hsl(H, S%, L%)` for goroutine `g`: light enough that dark label text stays readable.
pub fn goroutine(g: u64) -> String {
    let h = mix(g);
    let hue = ((g % 100_000) as f64 * 137.507_764)
        .rem_euclid(360.0)
        .round() as u64
        % 360;
    let sat = 55 + (h >> 16) % 25;
    let light = 62 + (h >> 24) % 14;
    format!("hsl({hue},{sat}%,{light}%)")
}

/// splitmix64's finaliser: every input bit moves every output bit.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_and_varied() {
        assert_eq!(goroutine(12), goroutine(12));
        let hues: Vec<String> = (1..=8).map(goroutine).collect();
        let mut unique = hues.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), hues.len());
        assert!(goroutine(1).starts_with("hsl("));
    }
}
