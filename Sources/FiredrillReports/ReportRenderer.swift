import FiredrillCore
import Foundation
import Mustache

/// Renders a `DrillReport` as Markdown, HTML (one self-contained file) or JSON, through the
/// shipped templates or a team's own.
public enum ReportRenderer {
    public enum Format: String, CaseIterable, Sendable {
        case html, md, json, pdf

        public var fileExtension: String { rawValue }
    }

    public struct TemplateError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Text formats only; PDF is printed from the HTML by a browser.
    public static func render(_ report: DrillReport, as format: Format, template: String? = nil) throws -> String {
        switch format {
        case .json:
            return try json(report)
        case .md:
            return try mustache(template ?? ReportTemplates.markdown, report)
        case .html, .pdf:
            return try mustache(template ?? ReportTemplates.html, report)
        }
    }

    /// The trend of some scenarios' drills, as the drill report is rendered.
    public static func render(_ trend: TrendReport, as format: Format, template: String? = nil) throws -> String {
        switch format {
        case .json: return try json(trend)
        case .md: return try mustache(template ?? ReportTemplates.trendMarkdown, trend)
        case .html, .pdf: return try mustache(template ?? ReportTemplates.trendHTML, trend)
        }
    }

    /// The retrospective, in Markdown (or a team's own template).
    public static func render(_ retrospective: DrillRetrospective, template: String? = nil) throws -> String {
        try mustache(template ?? ReportTemplates.retrospective, retrospective)
    }

    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }

    static func mustache(_ text: String, _ report: Any) throws -> String {
        registerContentTypes
        do {
            var library = MustacheLibrary()
            for (name, partial) in ReportTemplates.markdownPartials {
                try library.register("{{% CONTENT_TYPE: MARKDOWN}}" + partial, named: name)
            }
            return try MustacheTemplate(string: text).render(report, library: library)
        } catch {
            throw TemplateError(description: "the template does not parse: \(error)")
        }
    }

    /// Markdown tables survive any value: `|` is escaped and line breaks become spaces.
    struct MarkdownContentType: MustacheContentType {
        func escapeText(_ text: String) -> String {
            var out = ""
            for c in text {
                switch c {
                case "|": out += "\\|"
                case "\n", "\r", "\r\n": out += " "
                default: out.append(c)
                }
            }
            return out
        }
    }

    static let registerContentTypes: Void = MustacheContentTypes.register(MarkdownContentType(), named: "MARKDOWN")
}
