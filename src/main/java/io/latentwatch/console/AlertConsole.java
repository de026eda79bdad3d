package io.latentwatch.console;

import com.sun.net.httpserver.HttpServer;
import io.latentwatch.pipeline.kafka.KafkaClientConfig;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The alert console: a web page of live alerts (the frame, its anomaly map and region), per-source score traces with
 * their thresholds and the model timeline, read from the job's topics. A small server on the JDK's HttpServer, on
 * localhost, and one Kafka consumer thread (see {@link TopicReader} for how it reads).
 *
 * <pre>{@code
 * try (AlertConsole console = AlertConsole.builder().setKafkaClientConfig(client).optPort(0).build().start()) {
 *     System.out.println(console.url());
 * }
 * }</pre>
 *
 * <p>Endpoints: {@code /} the page (index.html, console.js, console.css from this jar), {@code /events} the
 * Server-Sent Events, {@code /frames/FRAME_ID} an alert's (or a recent) frame as it was sent, {@code /maps/FRAME_ID}
 * an alert's anomaly map over its frame (PNG), {@code /state} the snapshot as JSON.
 */
public final class AlertConsole implements AutoCloseable {

    /** The port unless {@link Builder#optPort(int)} says otherwise. */
    public static final int DEFAULT_PORT = 8090;

    private final Builder settings;
    private final ConsoleState state;
    private HttpServer server;
    private ExecutorService handlers;
    private EventStreamHandler events;
    private TopicReader reader;
    private boolean started;
    private boolean closed;

    private AlertConsole(Builder b) {
        this.settings = b;
        this.state = new ConsoleState(new RecentAlerts(b.maxAlerts), new FrameCache(b.maxFrames, b.maxFrameBytes),
                new ScoreTraces(b.traceWindow, b.tracePoints, b.maxSources), new ModelTimeline(b.maxModelUpdates));
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Listens on the port and starts reading the topics.
     *
     * @return this console
     * @throws BindException naming the port when it is taken
     * @throws IllegalStateException if it was started before
     */
    public synchronized AlertConsole start() throws IOException {
        if (started) {
            throw new IllegalStateException("the console was started already");
        }
        started = true;
        AssetHandler assets = new AssetHandler();
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), settings.port);
        try {
            server = HttpServer.create(address, 0);
        } catch (BindException e) {
            throw new BindException("cannot listen on localhost:" + settings.port + " (" + e.getMessage() + ")");
        }
        try {
            reader = new TopicReader(settings.kafka, settings.topics, settings.lookback, state, Clock.systemUTC());
        } catch (RuntimeException e) {
            server.stop(0);
            server = null;
            throw e;
        }
        // a page's event stream holds a handler thread for as long as it is open, so the pool grows with the pages
        handlers = Executors.newCachedThreadPool(named("latentwatch-console-http-"));
        events = new EventStreamHandler(state, settings.maxPages, settings.pageQueue);
        server.setExecutor(handlers);
        server.createContext("/", assets);
        server.createContext("/events", events);
        server.createContext("/frames/", new PictureHandler("/frames/", state::framePicture));
        server.createContext("/maps/", new PictureHandler("/maps/", state::mapPicture));
        server.createContext("/state", exchange -> {
            if (Responses.readOnly(exchange)) {
                Responses.send(exchange, 200, "application/json; charset=utf-8", "no-store", state.snapshot().data().getBytes(StandardCharsets.UTF_8));
            }
        });
        server.start();
        reader.start();
        return this;
    }

    /** {@code http://localhost:PORT/}, with the port taken (where {@link Builder#optPort(int)} was 0). */
    public String url() {
        return "http://localhost:" + port() + "/";
    }

    /** The port listened on. */
    public synchronized int port() {
        if (server == null) {
            throw new IllegalStateException("the console is not started");
        }
        return server.getAddress().getPort();
    }

    /** Pages with an open event stream. */
    public int pagesWatching() {
        return events == null ? 0 : events.pages();
    }

    /** Stops the consumer thread, ends the pages' streams and stops the server and its threads; a failed start leaves nothing either. */
    @Override
    public synchronized void close() throws InterruptedException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (reader != null) {
                reader.close();
            }
        } finally {
            if (events != null) {
                events.close();
            }
            if (server != null) {
                server.stop(handlers == null ? 0 : 1); // up to a second for the streams just ended to finish
            }
            if (handlers != null) {
                handlers.shutdownNow();
                handlers.awaitTermination(10, TimeUnit.SECONDS);
            }
        }
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * The console's settings. {@link #setKafkaClientConfig} is required; the rest have defaults that fit a demo: port
     * {@value AlertConsole#DEFAULT_PORT}, the topics alerts, latents, model-updates and frames, 200 alerts, score
     * traces of the last 5 minutes.
     */
    public static final class Builder {
        private KafkaClientConfig kafka;
        private int port = DEFAULT_PORT;
        private ConsoleTopics topics = ConsoleTopics.DEFAULTS;
        private Duration lookback = Duration.ofMinutes(5);
        private int maxAlerts = 200;
        private Duration traceWindow = Duration.ofMinutes(5);
        private int tracePoints = 600;
        private int maxSources = 64;
        private int maxFrames = 2000;
        private long maxFrameBytes = 64L << 20;
        private int maxModelUpdates = 1000;
        private int maxPages = 16;
        private int pageQueue = 10_000;

        private Builder() {}

        /** The client settings every command uses (bootstrap servers, security); required. */
        public Builder setKafkaClientConfig(KafkaClientConfig kafka) {
            this.kafka = kafka;
            return this;
        }

        /** @param port 0..65535; 0 takes a free one */
        public Builder optPort(int port) {
            checkArgument(port >= 0 && port <= 65535, "port must be in 0..65535 (0 = a free port), got " + port);
            this.port = port;
            return this;
        }

        /**
         * The four topics at once.
         *
         * @throws IllegalArgumentException naming a topic that is not a valid name, or two that are the same
         */
        public Builder optTopics(String alerts, String latents, String modelUpdates, String frames) {
            this.topics = new ConsoleTopics(alerts, latents, modelUpdates, frames);
            return this;
        }

        public Builder optAlertsTopic(String alerts) {
            return optTopics(alerts, topics.latents(), topics.modelUpdates(), topics.frames());
        }

        public Builder optLatentsTopic(String latents) {
            return optTopics(topics.alerts(), latents, topics.modelUpdates(), topics.frames());
        }

        public Builder optModelUpdatesTopic(String modelUpdates) {
            return optTopics(topics.alerts(), topics.latents(), modelUpdates, topics.frames());
        }

        public Builder optFramesTopic(String frames) {
            return optTopics(topics.alerts(), topics.latents(), topics.modelUpdates(), frames);
        }

        /** How far back alerts, latents and frames are read at start (model-updates always from its start); default 5 min. */
        public Builder optLookback(Duration lookback) {
            checkArgument(lookback != null && !lookback.isNegative(), "lookback must be zero or more, got " + lookback);
            this.lookback = lookback;
            return this;
        }

        /** Alerts shown (the newest); default 200. */
        public Builder optMaxAlerts(int maxAlerts) {
            checkArgument(maxAlerts >= 1, "max alerts must be at least 1, got " + maxAlerts);
            this.maxAlerts = maxAlerts;
            return this;
        }

        /** How far back from each source's newest frame its score trace reaches; default 5 min. */
        public Builder optTraceWindow(Duration traceWindow) {
            checkArgument(traceWindow != null && traceWindow.toMillis() >= 1, "trace window must be at least 1 ms, got " + traceWindow);
            this.traceWindow = traceWindow;
            return this;
        }

        /** @throws IllegalStateException naming the missing setting */
        public AlertConsole build() {
            if (kafka == null) {
                throw new IllegalStateException("the Kafka client config is required (setKafkaClientConfig)");
            }
            return new AlertConsole(this);
        }

        private static void checkArgument(boolean ok, String message) {
            if (!ok) {
                throw new IllegalArgumentException(message);
            }
        }
    }
}
