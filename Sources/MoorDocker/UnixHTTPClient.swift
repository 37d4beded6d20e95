import NIOCore
import NIOHTTP1
import NIOPosix

/// One HTTP/1.1 request over a unix socket, for moord's admin commands
/// (asking dockerd which volumes are in use, telling moord to reconcile).
/// NIO's client pipeline parses; this only sends and collects.
public enum UnixHTTPClient {
    public struct Response: Sendable {
        public var status: Int
        public var body: [UInt8]
    }

    public static func request(socket: String, method: HTTPMethod, path: String, body: [UInt8] = [],
                               timeout: TimeAmount = .seconds(30)) throws -> Response {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let promise = group.next().makePromise(of: Response.self)
        let channel = try ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(NIOHTTPClientResponseAggregator(maxContentLength: 64 << 20))
                    try channel.pipeline.syncOperations.addHandler(Collector(promise: promise))
                }
            }
            .connect(unixDomainSocketPath: socket).wait()
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "localhost")
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Connection", value: "close")
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        channel.eventLoop.scheduleTask(in: timeout) { promise.fail(ChannelError.connectTimeout(timeout)) }
        defer { channel.close(promise: nil) }
        return try promise.futureResult.wait()
    }

    final class Collector: ChannelInboundHandler {
        typealias InboundIn = NIOHTTPClientResponseFull
        let promise: EventLoopPromise<Response>
        init(promise: EventLoopPromise<Response>) { self.promise = promise }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let full = unwrapInboundIn(data)
            promise.succeed(Response(status: Int(full.head.status.code), body: full.body.map { Array($0.readableBytesView) } ?? []))
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            promise.fail(error)
            context.close(promise: nil)
        }
    }
}
