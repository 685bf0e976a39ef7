import FiredrillSampleService

/// The executable is only an entry point; the command line lives in the library.
@main
struct SampleServiceMain {
    static func main() async {
        await SampleServiceCommand.main()
    }
}
