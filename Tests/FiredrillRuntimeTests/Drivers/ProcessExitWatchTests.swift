import Foundation
@testable import FiredrillRuntime
import Testing

/// A command's exit wakes the supervisor; it does not wait for the next nap. The naps here are a
/// minute long, so only the exit can end the waits within the test's limit.
@Suite struct ProcessExitWatchTests {
    @Test(.timeLimit(.minutes(1))) func theExitWakesTheWaitAndANapEndsItOtherwise() async throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["0.2"]
        try child.run()
        let watch = try #require(ProcessExitWatch(pid: child.processIdentifier), "no pidfd on this kernel")
        await watch.wait(upTo: .seconds(3600))
        // Woken by the exit: the process is a zombie or reaped, never still sleeping.
        child.waitUntilExit()
        #expect(child.terminationStatus == 0)
        // Already exited: every later wait returns at once too.
        await watch.wait(upTo: .seconds(3600))

        // A process that does not exit: the nap ends the wait, and cancellation would too.
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["30"]
        try sleeper.run()
        defer { sleeper.terminate() }
        let long = try #require(ProcessExitWatch(pid: sleeper.processIdentifier))
        await long.wait(upTo: .milliseconds(50))
        #expect(sleeper.isRunning)
        let waiting = Task { await long.wait(upTo: .seconds(3600)) }
        waiting.cancel()
        await waiting.value
    }
}
