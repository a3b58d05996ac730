// SPDX-License-Identifier: MIT
import Glibc
import Testing

/// Where the tests find the shared corpus (conformance cases, rulesets, the EVE schema), and whether tests that
/// read it run.
///
/// The corpus lives outside the repository: `$WEIR_SHARED`, else `../shared` beside the clone. A fresh clone
/// without it still passes its own tests: the tests that need the corpus are skipped, each naming why. CI sets
/// `WEIR_REQUIRE_SHARED=1`, which makes them run (and fail) when the corpus is missing, so CI can never skip them.
public enum SharedCorpus {
    /// The shared folder (it may not exist).
    public static let root: String = {
        if let value = getenv("WEIR_SHARED"), value.pointee != 0 { return String(cString: value) }
        // This file is <repo>/Tests/WeirTestSupport/SharedCorpus.swift.
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/../shared"
    }()

    /// `root` + `/` + `relative`.
    public static func path(_ relative: String) -> String { Self.root + "/" + relative }

    /// The suricata-verify conformance cases.
    public static var conformanceCases: String {
        if let value = getenv("WEIR_CONFORMANCE_DIR"), value.pointee != 0 {
            return String(cString: value) + "/suricata-verify"
        }
        return Self.path("conformance/suricata-verify")
    }

    /// Whether the corpus is there.
    public static var isPresent: Bool { access(Self.root + "/conformance", F_OK) == 0 }

    /// Whether tests that read the corpus run: when it is present, or when `WEIR_REQUIRE_SHARED=1` demands it.
    public static var testsEnabled: Bool {
        if Self.isPresent { return true }
        guard let value = getenv("WEIR_REQUIRE_SHARED") else { return false }
        return String(cString: value) == "1"
    }

    /// The reason shown when such a test is skipped.
    public static let skipReason = "needs the shared corpus (../shared beside the clone, or WEIR_SHARED)"
}

extension Trait where Self == ConditionTrait {
    /// For tests that read the shared corpus: skipped with the reason when it is missing (see ``SharedCorpus``).
    public static var needsSharedCorpus: Self {
        .enabled(if: SharedCorpus.testsEnabled, Comment(rawValue: SharedCorpus.skipReason))
    }
}
