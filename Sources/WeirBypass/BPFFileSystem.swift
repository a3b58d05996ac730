// SPDX-License-Identifier: MIT
import CWeirLinux
import Glibc

/// The BPF file system (bpffs) that pins live on.
///
/// Pins can only be made on a bpffs mount. systemd mounts one at `/sys/fs/bpf`, but containers and minimal
/// hosts often have none, and there `/sys/fs/bpf` is a plain, read-only sysfs directory. As bpftool does, Weir
/// then mounts a bpffs itself: on the pin root when it can create that directory, or on `/sys/fs/bpf` (the
/// mount point the kernel provides for it) when the pin root lies below that directory. Where neither works
/// (no CAP_SYS_ADMIN, a read-only parent) it stops with the command that fixes it.
public enum BPFFileSystem {
    /// `BPF_FS_MAGIC` from linux/magic.h: statfs's `f_type` on a bpffs.
    public static let magic: UInt = 0xcafe_4a11
    /// The mount point the kernel provides (a directory of sysfs) for the system's bpffs.
    public static let systemMountPoint = "/sys/fs/bpf"

    /// Whether `path` exists and is on a bpffs.
    public static func isBPFFS(_ path: String) -> Bool {
        UInt(cweir_filesystem_type(path)) == Self.magic
    }

    /// What ``prepare(root:)`` did.
    public enum Outcome: Equatable, Sendable {
        /// The root already was on a bpffs (perhaps after creating it there).
        case alreadyMounted
        /// A bpffs was mounted at this path.
        case mounted(String)
    }

    /// Makes sure `root` is a directory on a bpffs: creates it where its parent is a bpffs, else mounts a
    /// bpffs on it (creating the directory first) or, when `root` lies below the system's `/sys/fs/bpf` and
    /// that is not mounted, on `/sys/fs/bpf`.
    ///
    /// - Throws: ``BPFError`` whose message gives the command the operator can run instead.
    @discardableResult
    public static func prepare(root: String) throws(BPFError) -> Outcome {
        guard root.hasPrefix("/") else {
            throw BPFError(
                .invalidArgument,
                call: "bpffs at \(root)",
                message: "bypass.pin-path must be an absolute path"
            )
        }
        if Self.isBPFFS(root) {
            try Self.makeDirectories(root)
            return .alreadyMounted
        }
        let ancestor = Self.nearestExistingAncestor(root)
        // Below an existing bpffs (for example /sys/fs/bpf/weir when /sys/fs/bpf is mounted): just create it.
        if ancestor != root && Self.isBPFFS(ancestor) {
            try Self.makeDirectories(root)
            return .alreadyMounted
        }
        // The pin root sits under an unmounted /sys/fs/bpf, a sysfs directory nothing can be created in: the
        // bpffs goes on the mount point itself, as systemd would have put it.
        let underSystem = root == Self.systemMountPoint || root.hasPrefix(Self.systemMountPoint + "/")
        let target = underSystem ? Self.systemMountPoint : root
        if !underSystem {
            do {
                try Self.makeDirectories(root)
            } catch {
                throw Self.cannotMount(root: root, target: target, error.errno, "cannot create the directory")
            }
        }
        if mount("bpf", target, "bpf", 0, "mode=0700") != 0 {
            let saved = errno
            // Someone else may have mounted it meanwhile.
            if !Self.isBPFFS(target) {
                throw Self.cannotMount(root: root, target: target, saved, "mount(bpf)")
            }
        }
        try Self.makeDirectories(root)
        return .mounted(target)
    }

    /// Unmounts a bpffs (pins on it disappear; programs and maps stay alive while something uses them).
    public static func unmount(_ path: String) throws(BPFError) {
        if umount2(path, 0) != 0 { throw .system("umount(\(path))", errno) }
    }

    static func cannotMount(root: String, target: String, _ code: Int32, _ step: String) -> BPFError {
        let reason = strerror(code).map { String(cString: $0) } ?? "errno \(code)"
        return BPFError(
            .systemCall,
            call: "bpffs for pins under \(root)",
            errno: code,
            message:
                "\(target) is not a bpffs mount and Weir could not mount one (\(step): \(reason)); run `mkdir -p \(target) && mount -t bpf bpf \(target)` as root, or set bypass.pin-path to a directory on a bpffs"
        )
    }

    static func nearestExistingAncestor(_ path: String) -> String {
        var current = path
        while true {
            var info = stat()
            if stat(current, &info) == 0 { return current }
            guard let slash = current.lastIndex(of: "/") else { return "/" }
            current = slash == current.startIndex ? "/" : String(current[..<slash])
            if current == "/" { return "/" }
        }
    }

    static func makeDirectories(_ path: String) throws(BPFError) {
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST { throw .system("mkdir(\(prefix))", errno) }
        }
    }
}
