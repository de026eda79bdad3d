package io.latentwatch.dev;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.server.ServerSocketFactory;

/**
 * Hands the broker the listening sockets bound before its configuration was written, so that a port 0 turns
 * into a known free port without a race; listeners not bound here get Kafka's own factory.
 */
final class PreboundSockets implements ServerSocketFactory {
    private final Map<String, ServerSocketChannel> unused = new HashMap<>();

    /** Binds a listener's socket now; port 0 takes a free one. Returns the bound port. */
    synchronized int bind(String listener, String host, int port) throws IOException {
        ServerSocketChannel channel;
        try {
            channel = ServerSocketFactory.INSTANCE.openServerSocket(listener, new InetSocketAddress(host, port), -1, -1);
        } catch (KafkaException e) {
            BindException b = new BindException("cannot listen on " + host + ":" + port + " (" + rootMessage(e) + ")");
            b.initCause(e);
            throw b;
        }
        unused.put(listener, channel);
        return ((InetSocketAddress) channel.getLocalAddress()).getPort();
    }

    @Override
    public synchronized ServerSocketChannel openServerSocket(
            String listenerName, InetSocketAddress address, int backlog, int recvBufferSize) throws IOException {
        ServerSocketChannel channel = unused.remove(listenerName);
        if (channel != null) {
            return channel;
        }
        return ServerSocketFactory.INSTANCE.openServerSocket(listenerName, address, backlog, recvBufferSize);
    }

    /** Closes the sockets the broker never took (it closes the ones it took). */
    synchronized void closeUnused() {
        for (ServerSocketChannel c : unused.values()) {
            Utils.closeQuietly(c, "server socket");
        }
        unused.clear();
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }
}
