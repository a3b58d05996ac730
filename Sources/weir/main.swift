// SPDX-License-Identifier: MIT
import WeirRuntime

print("weir: \(WeirRuntimeModule.name)")
