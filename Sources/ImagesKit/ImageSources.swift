import Foundation
import OCIModel

/// The images a repository already names: `FROM` lines of Dockerfiles and Containerfiles,
/// `image:` of compose files and of GitLab CI, and a GitHub workflow's `container:`,
/// `services:` and `docker://` steps. What `images init` writes an `images.json` from.
public struct ImageSources: Sendable, Equatable, Codable {
    /// An image, as written, and every place that names it (`Dockerfile:3`).
    public struct Found: Sendable, Equatable, Codable {
        public var reference: String
        /// The platform a Dockerfile's `FROM --platform=…` asks for, when it is literal.
        public var platform: String?
        public var sources: [String]
    }

    /// Something that names an image that cannot be declared as written, and why.
    public struct Skipped: Sendable, Equatable, Codable {
        public var text: String
        public var source: String
        public var reason: String
    }

    /// Distinct images in the order first met (files in path order).
    public var found: [Found] = []
    public var skipped: [Skipped] = []

    /// Files larger than this are not configuration files: they are left alone.
    static let largestFile = 1 << 20
    /// Directories never looked into: build products, dependencies, version control.
    static let ignoredDirectories: Set<String> = [".git", ".build", ".swiftpm", "node_modules", ".images-cache", ".images-tool"]

    /// Scans the files under `directory` (hidden directories other than `.github`, build and
    /// dependency directories are left out).
    public static func scan(directory: String) -> ImageSources {
        var sources = ImageSources()
        for path in candidateFiles(under: directory) {
            guard let kind = Kind(path: path), let text = readSmallFile(directory + "/" + path) else { continue }
            let mentions = kind == .dockerfile ? dockerfileMentions(text) : yamlMentions(text, kind: kind)
            for mention in mentions { sources.add(mention, source: "\(path):\(mention.line)") }
        }
        return sources
    }

    /// The `images.json` text declaring what was found: the CI runners' platform (linux/amd64)
    /// and this machine's, and a platform of its own for an image a `FROM --platform=` names.
    public func manifestText(hostPlatform: Platform = .host) -> String {
        var platforms = ["linux/amd64"]
        if hostPlatform.os == "linux", hostPlatform.description != "linux/amd64" { platforms.append(hostPlatform.description) }
        let images = found.map { image -> String in
            let reference = Self.jsonString(image.reference)
            guard let platform = image.platform else { return "    \(reference)" }
            return "    { \"ref\": \(reference), \"platforms\": [\(Self.jsonString(platform))] }"
        }
        return """
            {
              "version": 1,
              "platforms": [\(platforms.map(Self.jsonString).joined(separator: ", "))],
              "images": [
            \(images.joined(separator: ",\n"))
              ]
            }

            """
    }

    // MARK: - Collecting

    struct Mention: Equatable {
        var line: Int
        var text: String
        var platform: String? = nil
        /// Why it cannot be declared as written (a variable without a value).
        var problem: String? = nil
    }

    private mutating func add(_ mention: Mention, source: String) {
        if let problem = mention.problem {
            return skipped.append(Skipped(text: mention.text, source: source, reason: problem))
        }
        do {
            _ = try Reference(parsing: mention.text)
        } catch {
            return skipped.append(Skipped(text: mention.text, source: source, reason: error.reason))
        }
        if let index = found.firstIndex(where: { $0.reference == mention.text && $0.platform == mention.platform }) {
            found[index].sources.append(source)
        } else {
            found.append(Found(reference: mention.text, platform: mention.platform, sources: [source]))
        }
    }

    enum Kind: Equatable {
        case dockerfile, compose, githubWorkflow, gitlabCI

        init?(path: String) {
            let name = (path as NSString).lastPathComponent
            let lowercased = name.lowercased()
            let isDocument = [".md", ".txt", ".orig", ".bak"].contains { lowercased.hasSuffix($0) }
            if ["dockerfile", "containerfile"].contains(lowercased)
                || (!isDocument && (lowercased.hasPrefix("dockerfile.") || lowercased.hasPrefix("containerfile.")))
                || lowercased.hasSuffix(".dockerfile") || lowercased.hasSuffix(".containerfile")
            {
                self = .dockerfile
            } else if lowercased.wholeMatch(of: /(docker-)?compose([.-][^\/]*)?\.ya?ml/) != nil {
                self = .compose
            } else if path.hasPrefix(".github/workflows/"), lowercased.hasSuffix(".yml") || lowercased.hasSuffix(".yaml") {
                self = .githubWorkflow
            } else if name == ".gitlab-ci.yml" || name == ".gitlab-ci.yaml" {
                self = .gitlabCI
            } else {
                return nil
            }
        }
    }

    /// Paths relative to `directory`, sorted.
    static func candidateFiles(under directory: String) -> [String] {
        let root = URL(fileURLWithPath: directory)
        guard
            let walker = FileManager.default.enumerator(
                at: root, includingPropertiesForKeys: [.isDirectoryKey, .isRegularFileKey, .isSymbolicLinkKey])
        else { return [] }
        var paths: [String] = []
        let prefix = root.standardizedFileURL.path + "/"
        for case let url as URL in walker {
            let name = url.lastPathComponent
            let values = try? url.resourceValues(forKeys: [.isDirectoryKey, .isRegularFileKey, .isSymbolicLinkKey])
            let path = String(url.standardizedFileURL.path.dropFirst(prefix.count))
            if values?.isDirectory == true {
                let hidden = name.hasPrefix(".") && name != ".github"
                if hidden || ignoredDirectories.contains(name) || name.hasPrefix(".build-") || name.hasPrefix(".build_") {
                    walker.skipDescendants()
                }
                continue
            }
            if values?.isRegularFile == true, values?.isSymbolicLink != true, Kind(path: path) != nil { paths.append(path) }
        }
        return paths.sorted()
    }

    private static func readSmallFile(_ path: String) -> String? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = attributes[.size] as? Int, size <= largestFile,
            let data = FileManager.default.contents(atPath: path)
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    private static func jsonString(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

// MARK: - Dockerfiles

extension ImageSources {
    /// The base images of a Dockerfile's stages, as Docker's builder reads `FROM`: instructions
    /// joined across escaped line ends (the `# escape=` directive honoured), the arguments
    /// declared before the first `FROM` substituted (`$NAME`, `${NAME}`, `${NAME:-word}`),
    /// `scratch` and earlier stages' names left out.
    static func dockerfileMentions(_ text: String) -> [Mention] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        var escape: Character = "\\"
        for line in lines {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("#") else { break }
            if let match = trimmed.wholeMatch(of: /#\s*escape\s*=\s*(\S)\s*/) { escape = match.1.first ?? escape }
        }

        var arguments: [String: String] = [:]
        var stages: Set<String> = []
        var sawFrom = false
        var mentions: [Mention] = []
        var index = 0
        while index < lines.count {
            let start = index + 1
            var instruction = ""
            while index < lines.count {
                let line = lines[index]
                index += 1
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("#") { continue }  // comments, also between continued lines
                if let last = trimmed.last, last == escape {
                    instruction += String(trimmed.dropLast()) + " "
                    continue
                }
                instruction += trimmed
                break
            }
            let words = instruction.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let keyword = words.first?.uppercased() else { continue }
            switch keyword {
            case "ARG" where !sawFrom:
                for declaration in words.dropFirst() {
                    let parts = declaration.split(separator: "=", maxSplits: 1)
                    let name = String(parts[0])
                    arguments[name] = parts.count > 1 ? unquoted(String(parts[1])) : arguments[name]
                }
            case "FROM":
                sawFrom = true
                var rest = Array(words.dropFirst())
                var platform: String?
                while let flag = rest.first, flag.hasPrefix("--") {
                    if flag.lowercased().hasPrefix("--platform=") { platform = String(flag.dropFirst("--platform=".count)) }
                    rest.removeFirst()
                }
                guard let image = rest.first else { continue }
                let (expanded, missing) = substitute(image, arguments)
                // Later stages are built FROM earlier ones by name: those are not images.
                let isStage = missing == nil && stages.contains(expanded.lowercased())
                if rest.count >= 3, rest[1].lowercased() == "as" { stages.insert(rest[2].lowercased()) }
                if expanded.lowercased() == "scratch" || isStage { continue }
                if let missing {
                    mentions.append(Mention(line: start, text: image, problem: "$\(missing) has no default value before the first FROM"))
                    continue
                }
                let literalPlatform = platform.map { substitute($0, arguments) }.flatMap { $0.missing == nil ? $0.text : nil }
                mentions.append(Mention(line: start, text: expanded, platform: literalPlatform))
            default:
                continue
            }
        }
        return mentions
    }

    /// `text` with `$NAME`, `${NAME}` and `${NAME:-word}` replaced; the first name with no value.
    static func substitute(_ text: String, _ arguments: [String: String]) -> (text: String, missing: String?) {
        var result = ""
        var missing: String?
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            rest = rest[rest.index(after: dollar)...]
            let name: String
            var fallback: String?
            if rest.first == "{", let close = rest.firstIndex(of: "}") {
                let inside = rest[rest.index(after: rest.startIndex)..<close]
                rest = rest[rest.index(after: close)...]
                if let range = inside.range(of: ":-") {
                    name = String(inside[..<range.lowerBound])
                    fallback = String(inside[range.upperBound...])
                } else {
                    name = String(inside)
                }
            } else {
                let end = rest.firstIndex { !($0.isLetter || $0.isNumber || $0 == "_") } ?? rest.endIndex
                name = String(rest[..<end])
                rest = rest[end...]
            }
            if let value = arguments[name], !value.isEmpty {
                result += value
            } else if let fallback {
                result += fallback
            } else {
                missing = missing ?? name
            }
        }
        return (result + rest, missing)
    }

    private static func unquoted(_ text: String) -> String {
        for quote in ["\"", "'"] where text.count >= 2 && text.hasPrefix(quote) && text.hasSuffix(quote) {
            return String(text.dropFirst().dropLast())
        }
        return text
    }
}

// MARK: - Compose files and CI configurations

extension ImageSources {
    /// `image: NAME` anywhere (block or flow style), and in GitHub workflows also
    /// `container: NAME` and `uses: docker://NAME`. Line by line: these keys hold one scalar,
    /// which is all that is needed of the YAML.
    static func yamlMentions(_ text: String, kind: Kind) -> [Mention] {
        var mentions: [Mention] = []
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = withoutComment(String(rawLine))
            var values: [String] = []
            // Block style takes the rest of the line; flow style ends at `,` or `}`.
            if let match = line.firstMatch(of: /^\s*(?:-\s+)?image:\s*([^\s{].*?)\s*$/) {
                values.append(String(match.1))
            } else {
                for match in line.matches(of: /[\s{,]image:\s*("[^"]*"|'[^']*'|[^\s,}]+)/) { values.append(String(match.1)) }
            }
            if kind == .githubWorkflow {
                if let match = line.firstMatch(of: /^\s*(?:-\s+)?container:\s*([^\s{].*?)\s*$/) { values.append(String(match.1)) }
                if let match = line.firstMatch(of: /^\s*(?:-\s+)?uses:\s*["']?docker:\/\/([^\s"']+)/) { values.append(String(match.1)) }
            }
            for value in values {
                let text = unquoted(value)
                guard !text.isEmpty, text != "|", text != ">" else { continue }
                if text.contains("$") {
                    mentions.append(Mention(line: offset + 1, text: text, problem: "it is made of variables"))
                } else {
                    mentions.append(Mention(line: offset + 1, text: text))
                }
            }
        }
        return mentions
    }

    /// The line without a `#` comment (one that starts the line or follows a space, outside quotes).
    private static func withoutComment(_ line: String) -> String {
        var quote: Character?
        var previous: Character = " "
        for (index, character) in zip(line.indices, line) {
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "#", previous == " " || previous == "\t" {
                return String(line[..<index])
            }
            previous = character
        }
        return line
    }
}
