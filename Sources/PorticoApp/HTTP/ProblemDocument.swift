import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// RFC 9457 problem details with Portico's extension members
/// (`code`, `param`, `request_id`).
struct ProblemDocument: Encodable, Sendable {
    var type: String
    var title: String
    var status: Int
    var detail: String
    var code: String
    var param: String?
    var limit: String?
    var requestID: String

    enum CodingKeys: String, CodingKey {
        case type, title, status, detail, code, param, limit
        case requestID = "request_id"
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
        let body = (try? JSONCoding.encoder.encode(self)) ?? Data()
        return Response(
            status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
