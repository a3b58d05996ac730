// SPDX-License-Identifier: MIT
import Glibc

/// Turns the `-r` arguments into the ordered list of files to read.
public enum CaptureInputs {
    /// Expands each path: a file is kept as it is; a directory contributes its regular, non-hidden files
    /// sorted by name (as Suricata's pcap-file directory mode reads them). Order of the arguments is kept.
    ///
    /// - Throws: ``CaptureError`` when a path does not exist or a directory cannot be listed.
    public static func expand(_ paths: [String]) throws(CaptureError) -> [String] {
        var out: [String] = []
        for path in paths {
            var info = stat()
            guard stat(path, &info) == 0 else {
                throw CaptureError(path: path, message: String(cString: strerror(errno)))
            }
            if info.st_mode & S_IFMT == S_IFDIR {
                guard let dir = opendir(path) else {
                    throw CaptureError(path: path, message: String(cString: strerror(errno)))
                }
                var names: [String] = []
                while let entry = readdir(dir) {
                    let name = withUnsafePointer(to: entry.pointee.d_name) {
                        $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                    }
                    if name.hasPrefix(".") { continue }
                    let full = path.hasSuffix("/") ? path + name : path + "/" + name
                    var child = stat()
                    if stat(full, &child) == 0, child.st_mode & S_IFMT == S_IFREG { names.append(full) }
                }
                closedir(dir)
                out.append(contentsOf: names.sorted())
            } else {
                out.append(path)
            }
        }
        return out
    }
}
