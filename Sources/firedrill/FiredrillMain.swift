import FiredrillCommands
import Foundation

@main
struct FiredrillMain {
    static func main() async {
        exit(await FiredrillCommand.main(arguments: Array(CommandLine.arguments.dropFirst())))
    }
}
