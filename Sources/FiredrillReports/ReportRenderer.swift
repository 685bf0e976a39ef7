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
            return try mustache(template ?? ReportTemplates.markdown, report, as: .markdown)
        case .html, .pdf:
            return try mustache(template ?? ReportTemplates.html, report, as: .html)
        }
    }

    /// The trend of some scenarios' drills, as the drill report is rendered.
    public static func render(_ trend: TrendReport, as format: Format, template: String? = nil) throws -> String {
        switch format {
        case .json: return try json(trend)
        case .md: return try mustache(template ?? ReportTemplates.trendMarkdown, trend, as: .markdown)
        case .html, .pdf: return try mustache(template ?? ReportTemplates.trendHTML, trend, as: .html)
        }
    }

    /// The retrospective, in Markdown (or a team's own template).
    public static func render(_ retrospective: DrillRetrospective, template: String? = nil) throws -> String {
        try mustache(template ?? ReportTemplates.retrospective, retrospective, as: .markdown)
    }

    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }

    /// The content type `{{value}}` is escaped for, unless a template names its own.
    enum Escaping: String {
        case markdown = "MARKDOWN", html = "FIREDRILL_HTML"
    }

    static func mustache(_ text: String, _ report: Any, as escaping: Escaping) throws -> String {
        registerContentTypes
        do {
            var library = MustacheLibrary()
            for (name, partial) in ReportTemplates.markdownPartials {
                try library.register("{{% CONTENT_TYPE: MARKDOWN}}" + partial, named: name)
            }
            // A standalone pragma line renders as nothing: a team's own template gets the same
            // escaping as the shipped ones, unless it names another content type itself.
            return try MustacheTemplate(string: "{{% CONTENT_TYPE: \(escaping.rawValue)}}\n" + text).render(report, library: library)
        } catch {
            throw TemplateError(description: "the template does not parse: \(error)")
        }
    }

    /// Every value inert in Markdown, tables included (`MarkdownText.escaped`).
    struct MarkdownContentType: MustacheContentType {
        func escapeText(_ text: String) -> String { MarkdownText.escaped(text) }
    }

    /// HTML escaping, and control characters shown as `\xNN` rather than sent to the browser.
    struct HTMLContentType: MustacheContentType {
        func escapeText(_ text: String) -> String {
            var out = ""
            for c in ControlCharacters.visible(text).unicodeScalars {
                switch c {
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "&": out += "&amp;"
                case "\"": out += "&quot;"
                case "'": out += "&#39;"
                default: out.unicodeScalars.append(c)
                }
            }
            return out
        }
    }

    static let registerContentTypes: Void = {
        MustacheContentTypes.register(MarkdownContentType(), named: Escaping.markdown.rawValue)
        MustacheContentTypes.register(HTMLContentType(), named: Escaping.html.rawValue)
    }()
}
