//! PLACEHOLDER until the real overflow module lands.
/// Running.
#[repr(C)]
pub struct Running { pub guard_lo: usize, pub guard_hi: usize, pub id: u64, pub name_ptr: *const u8, pub name_len: usize }
/// Install.
pub fn install() {}
/// Altstack.
pub fn ensure_altstack() {}
/// Set.
pub fn set_running(_r: *const Running) {}
/// Report.
pub fn report_overflow(id: u64, name: Option<&str>) -> ! { eprintln!("goroutine {id} ({}) has overflowed its stack", name.unwrap_or("<unnamed>")); std::process::abort() }
