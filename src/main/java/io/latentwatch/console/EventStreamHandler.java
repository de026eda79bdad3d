package io.latentwatch.console;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * {@code /events}: Server-Sent Events ({@code text/event-stream}). On connect a page gets the snapshot of the state,
 * then every event after it. Each page has a bounded queue; one that falls behind is disconnected and, as
 * EventSource does, reconnects and starts from a fresh snapshot. A comment line every {@link #KEEP_ALIVE} keeps idle
 * connections open through proxies, and finds pages that have gone.
 */
final class EventStreamHandler implements HttpHandler, AutoCloseable {

    static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

    /** Put in a page's queue to end its stream. */
    private static final ConsoleEvent END = new ConsoleEvent("end", "{}");
    /** How long EventSource waits before reconnecting. */
    private static final byte[] PREAMBLE = "retry: 2000\n\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] KEEP_ALIVE_LINE = ": keep-alive\n\n".getBytes(StandardCharsets.UTF_8);

    private final ConsoleState state;
    private final int maxPages;
    private final int queueCapacity;
    private final Set<Page> pages = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /** One connected page: its queue, and the subscription that fills it. */
    private final class Page {
        final BlockingQueue<ConsoleEvent> queue = new ArrayBlockingQueue<>(queueCapacity + 1);
        final Predicate<ConsoleEvent> subscriber = this::offer;

        /** From the state's lock: never blocks. */
        private boolean offer(ConsoleEvent event) {
            if (queue.remainingCapacity() > 1 && queue.offer(event)) {
                return true;
            }
            end();
            return false;
        }

        void end() {
            queue.clear();
            queue.offer(END);
        }
    }

    EventStreamHandler(ConsoleState state, int maxPages, int queueCapacity) {
        this.state = state;
        this.maxPages = maxPages;
        this.queueCapacity = queueCapacity;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        if (!Responses.readOnly(exchange)) {
            return;
        }
        if (closed || pages.size() >= maxPages) {
            Responses.text(exchange, 503, closed ? "the console is stopping" : "too many pages watch this console (" + maxPages + ")");
            return;
        }
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
            return;
        }
        Page page = new Page();
        pages.add(page);
        try {
            exchange.sendResponseHeaders(200, 0); // chunked: a stream has no length
            OutputStream out = exchange.getResponseBody();
            ConsoleEvent snapshot = state.subscribe(page.subscriber);
            if (closed) {
                page.end(); // close() may have run between the check above and the subscription
            }
            out.write(PREAMBLE);
            out.write(snapshot.toWire());
            out.flush();
            stream(page, out);
        } catch (IOException e) {
            // the page went away
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the console stops its handler threads
        } finally {
            state.unsubscribe(page.subscriber);
            pages.remove(page);
            exchange.close(); // closes the body too
        }
    }

    /** Writes the page's events as they come, all that are waiting at once, until its stream ends. */
    private static void stream(Page page, OutputStream out) throws IOException, InterruptedException {
        while (true) {
            ConsoleEvent event = page.queue.poll(KEEP_ALIVE.toMillis(), TimeUnit.MILLISECONDS);
            if (event == null) {
                out.write(KEEP_ALIVE_LINE);
            }
            while (event != null) {
                if (event == END) {
                    return;
                }
                out.write(event.toWire());
                event = page.queue.poll();
            }
            out.flush();
        }
    }

    /** Pages watching now. */
    int pages() {
        return pages.size();
    }

    /** Ends every stream; new pages are turned away. */
    @Override
    public void close() {
        closed = true;
        pages.forEach(Page::end);
    }
}
