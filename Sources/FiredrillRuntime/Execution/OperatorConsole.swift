import FiredrillCore
import Foundation

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
public final class TerminalConsole: OperatorConsole, @unchecked Sendable {
    public let isInteractive: Bool
    private let lock = NSLock()
    private var buffered: [String] = []
    private var closed = false
    private var waiter: (id: UInt64, continuation: CheckedContinuation<String?, Never>)?
    private var nextWaiterID: UInt64 = 0
    private var readerStarted = false
    private let defaultName: String

    public init(interactive: Bool = isatty(STDIN_FILENO) == 1) {
        isInteractive = interactive
        defaultName = ProcessInfo.processInfo.environment["USER"] ?? "operator"
    }

    private func startReader() {
        lock.lock()
        defer { lock.unlock() }
        guard !readerStarted else { return }
        readerStarted = true
        Thread.detachNewThread { [self] in
            while let line = readLine() { deliver(line) }
            deliver(nil)
        }
    }

    private func deliver(_ line: String?) {
        lock.lock()
        if line == nil { closed = true }
        if let current = waiter {
            waiter = nil
            lock.unlock()
            current.continuation.resume(returning: line)
            return
        }
        if let line { buffered.append(line) }
        lock.unlock()
    }

    private func nextLine() async -> String? {
        startReader()
        let id = lock.withLock {
            nextWaiterID += 1
            return nextWaiterID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
                lock.lock()
                if !buffered.isEmpty {
                    let line = buffered.removeFirst()
                    lock.unlock()
                    continuation.resume(returning: line)
                } else if closed || Task.isCancelled {
                    lock.unlock()
                    continuation.resume(returning: nil)
                } else {
                    waiter = (id, continuation)
                    lock.unlock()
                }
            }
        } onCancel: {
            lock.lock()
            let current = waiter?.id == id ? waiter : nil
            if current != nil { waiter = nil }
            lock.unlock()
            current?.continuation.resume(returning: nil)
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
