// SPDX-License-Identifier: MIT
import Testing

@testable import WeirVerify

/// The project's own behaviour cases, Tests/Verify/<case>/, through the same runner as `weir test`.
@Suite struct BehaviourCaseTests {
    @Test func everyCaseInTestsVerifyPasses() {
        let results = runCases([Repo.verifyCases])
        #expect(results.count >= 8, "expected at least 8 cases in \(Repo.verifyCases)")
        for result in results {
            #expect(result.status != .fail, "\(result.line)\n\(result.report)")
        }
        #expect(results.filter { $0.status == .pass }.count >= 8)
    }
}
