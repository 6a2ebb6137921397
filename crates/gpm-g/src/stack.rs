//! PLACEHOLDER until the real stack module lands.
use corosensei::stack::StackPointer;
/// A stack.
pub struct Stack { map: *mut u8, len: usize }
// SAFETY: placeholder
unsafe impl Send for Stack {}
impl Stack {
    /// New.
    pub fn new(size: usize) -> std::io::Result<Stack> {
        let len = (size + 4095) / 4096 * 4096 + 4096;
        // SAFETY: placeholder
        let map = unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE, -1, 0) };
        if map == libc::MAP_FAILED { return Err(std::io::Error::last_os_error()); }
        // SAFETY: placeholder
        unsafe { libc::mprotect(map, 4096, libc::PROT_NONE) };
        Ok(Stack { map: map as *mut u8, len })
    }
    /// Usable.
    pub fn usable_size(&self) -> usize { self.len - 4096 }
    /// Guard.
    pub fn guard_range(&self) -> Option<(usize, usize)> { Some((self.map as usize, self.map as usize + 4096)) }
    /// Canary.
    pub fn canary_addr(&self) -> Option<usize> { None }
}
/// Canary ok.
pub fn canary_ok(_addr: usize) -> bool { true }
impl Drop for Stack { fn drop(&mut self) {
    // SAFETY: placeholder
    unsafe { libc::munmap(self.map as *mut _, self.len) }; } }
// SAFETY: placeholder
unsafe impl corosensei::stack::Stack for Stack {
    fn base(&self) -> StackPointer { StackPointer::new(self.map as usize + self.len).unwrap() }
    fn limit(&self) -> StackPointer { StackPointer::new(self.map as usize).unwrap() }
}
/// Pool.
pub struct StackPool { size: usize, free: parking_lot::Mutex<Vec<Stack>> }
impl StackPool {
    /// New.
    pub fn new(size: usize) -> Self { StackPool { size, free: parking_lot::Mutex::new(Vec::new()) } }
    /// Size.
    pub fn size(&self) -> usize { self.size }
    /// Get.
    pub fn get(&self) -> std::io::Result<Stack> { if let Some(s) = self.free.lock().pop() { return Ok(s) } Stack::new(self.size) }
    /// Put.
    pub fn put(&self, s: Stack) { self.free.lock().push(s) }
}
