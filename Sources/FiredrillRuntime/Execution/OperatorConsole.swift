import FiredrillCore
import Foundation
import Synchronization

/// How manual steps reach a person.
public protocol OperatorConsole: Sendable {
    /// Whether a person can answer here (a terminal). Without one the run suspends (exit 4).
    var isInteractive: Bool { get }
    /// Shows the instructions and waits for a confirmation; nil when cancelled.
    func confirm(step: String, instructions: String, runID: String) async -> (by: String, note: String?)?
}

/// The terminal. Lines are read on one background thread (reading a terminal blocks) into a
/// buffer; a prompt waits for the next line without blocking a task, and a cancelled prompt
/// (confirmed from another terminal) leaves the reader intact for the next one.
public final class TerminalConsole: OperatorConsole, Sendable {
    public let isInteractive: Bool
    private struct State {
        var buffered: [String] = []
        var closed = false
        var waiter: (id: UInt64, continuation: CheckedContinuation<String?, Never>)?
        var nextWaiterID: UInt64 = 0
        var readerStarted = false
    }
    private let state = Mutex(State())
    private let defaultName: String

    public init(interactive: Bool = isatty(STDIN_FILENO) == 1) {
        isInteractive = interactive
        defaultName = ProcessInfo.processInfo.environment["USER"] ?? "operator"
    }

    private func startReader() {
        let start = state.withLock { state in
            defer { state.readerStarted = true }
            return !state.readerStarted
        }
        guard start else { return }
        Thread.detachNewThread { [self] in
            while let line = readLine() { deliver(line) }
            deliver(nil)
        }
    }

    private func deliver(_ line: String?) {
        let waiting = state.withLock { state -> CheckedContinuation<String?, Never>? in
            if line == nil { state.closed = true }
            if let current = state.waiter {
                state.waiter = nil
                return current.continuation
            }
            if let line { state.buffered.append(line) }
            return nil
        }
        waiting?.resume(returning: line)
    }

    private func nextLine() async -> String? {
        startReader()
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
                // nil: parked; otherwise the answer to give at once.
                let answer = state.withLock { state -> String?? in
                    if !state.buffered.isEmpty { return .some(state.buffered.removeFirst()) }
                    if state.closed || Task.isCancelled { return .some(nil) }
                    state.waiter = (id, continuation)
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
            }
        } onCancel: {
            state.withLock { state -> CheckedContinuation<String?, Never>? in
                guard state.waiter?.id == id else { return nil }
                defer { state.waiter = nil }
                return state.waiter?.continuation
            }?.resume(returning: nil)
        }
    }

    public func confirm(step: String, instructions: String, runID: String) async -> (by: String, note: String?)? {
        guard isInteractive else { return nil }
        ProgressPrinter.write("""

            ┃ MANUAL STEP: \(ControlCharacters.visible(step))
            ┃ \(ControlCharacters.visible(instructions).replacingOccurrences(of: "\n", with: "\n┃ "))
            ┃ When it is done, confirm here (or from another terminal: firedrill confirm \(runID) --by NAME).
            ┃ Confirmed by [\(defaultName)]: 
            """)
        guard let name = await nextLine() else { return nil }
        ProgressPrinter.write("┃ Note (optional): ")
        guard let note = await nextLine() else { return nil }
        let by = name.trimmingCharacters(in: .whitespaces)
        let trimmed = note.trimmingCharacters(in: .whitespaces)
        return (by.isEmpty ? defaultName : by, trimmed.isEmpty ? nil : trimmed)
    }
}
