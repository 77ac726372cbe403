import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PorticoCore
import PorticoStore

/// RFC 9457 problem details with Portico's extension members
/// (`code`, `param`, `request_id`).
struct ProblemDocument: JSONWritable, Sendable {
    var type: String
    var title: String
    var status: Int
    var detail: String
    var code: String
    var param: String?
    var limit: String?
    var requestID: String

    /// `param` and `limit` only when the error has them.
    func write(to json: inout JSONWriter) {
        json.object { json in
            json.field("code", code)
            json.field("detail", detail)
            if let limit { json.field("limit", limit) }
            if let param { json.field("param", param) }
            json.field("request_id", requestID)
            json.field("status", status)
            json.field("title", title)
            json.field("type", type)
        }
    }

    init(_ error: APIError, baseURL: String, requestID: String) {
        self.type = "\(baseURL)/docs/errors/\(error.code.rawValue)"
        self.title = error.code.title
        self.status = Int(error.status.code)
        self.detail = error.detail
        self.code = error.code.rawValue
        self.param = error.param
        self.limit = error.limit
        self.requestID = requestID
    }

    func response(headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = "application/problem+json"
        if let challenge = ErrorCode(rawValue: code)?.wwwAuthenticate { headers[.wwwAuthenticate] = challenge }
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: body))
    }

    /// The document as JSON bytes.
    var body: ByteBuffer {
        JSONWriter.render(self, capacity: 512)
    }

    /// A problem answered by the connection layer, before any route or request context exists (414, 431).
    static func beforeRouting(_ code: ErrorCode, _ detail: String, baseURL: BaseURL) -> ProblemDocument {
        ProblemDocument(APIError(code, detail), baseURL: baseURL.value, requestID: Identifier.makeRequestID(at: Date().milliseconds))
    }
}
