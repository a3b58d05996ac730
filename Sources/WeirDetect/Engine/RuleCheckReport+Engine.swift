// SPDX-License-Identifier: MIT

extension RuleCheckReport {
    /// What the engine makes of the loaded rules: the same compile step a run takes (signatures, PCRE2, the
    /// Vectorscan prefilter databases), so that `rules check` and the engine agree on every rule. The
    /// rules it could not take, each with file, line and sid.
    public static func engineRejections(
        _ set: RuleSet, classifications: ClassificationTable = .suricataDefault
    ) -> [SignatureCompileError] {
        do {
            return try DetectEngine(rules: set.rules, settings: DetectSettings(), classifications: classifications)
                .rejected
        } catch {
            var failure = SignatureCompileError(
                gid: 0, sid: 0, file: "", line: 0, keyword: "content", reason: "\(error)")
            failure.isError = true
            return [failure]
        }
    }
}
