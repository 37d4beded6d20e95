import NIOCore
import NIOHTTP1

/// One connection from dockerd: collects each POST body (up to a limit),
/// asks the router, writes a JSON answer. Keep-alive and pipelining order
/// come from NIO's server pipeline.
final class DockerHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let maxBody = 1 << 20

    private let router: DockerRouter
    private let queues: VolumeQueues
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var tooLarge = false

    init(router: DockerRouter, queues: VolumeQueues) {
        self.router = router
        self.queues = queues
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body = nil
            tooLarge = false
        case .body(var chunk):
            guard !tooLarge else { return }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > Self.maxBody {
                tooLarge = true
                body = nil
            } else if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
        case .end:
            guard let requestHead = head else { return }
            head = nil
            let keepAlive = requestHead.isKeepAlive && !tooLarge
            if tooLarge {
                respond(context, .error("request body larger than \(Self.maxBody) bytes", status: 413), keepAlive: false)
                return
            }
            guard requestHead.method == .POST else {
                respond(context, .error("plugin calls are POST requests", status: 405), keepAlive: keepAlive)
                return
            }
            let bytes = body.map { Array($0.readableBytesView) } ?? []
            body = nil
            switch router.route(requestHead.uri, body: bytes) {
            case .immediate(let reply):
                respond(context, reply, keepAlive: keepAlive)
            case .serialised(let name, let lane, let work):
                complete(context, queues.run(name, on: context.eventLoop, lane: lane, work), keepAlive: keepAlive)
            case .offloaded(let work):
                complete(context, queues.runProbe(on: context.eventLoop, work), keepAlive: keepAlive)
            }
        }
    }

    /// Answers when work done off the event loop finishes.
    private func complete(_ context: ChannelHandlerContext, _ future: EventLoopFuture<DockerReply>, keepAlive: Bool) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        future.whenComplete { result in
            let (handler, context) = loopBound.value
            switch result {
            case .success(let reply): handler.respond(context, reply, keepAlive: keepAlive)
            case .failure(let error as BackendThreads.Saturated): handler.respond(context, .error(error.description), keepAlive: keepAlive)
            case .failure(let error as BackendThreads.SpawnFailed): handler.respond(context, .error(error.description), keepAlive: keepAlive)
            case .failure: handler.respond(context, .error("moord is shutting down", status: 503), keepAlive: false)
            }
        }
    }

    private func respond(_ context: ChannelHandlerContext, _ reply: DockerReply, keepAlive: Bool) {
        var buffer = context.channel.allocator.buffer(capacity: reply.body.utf8.count + 1)
        buffer.writeString(reply.body)
        buffer.writeStaticString("\n")
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/vnd.docker.plugins.v1.2+json")
        headers.add(name: "Content-Length", value: String(buffer.readableBytes))
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: reply.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A broken client (malformed HTTP) loses its connection, nobody else's.
        context.close(promise: nil)
    }
}
