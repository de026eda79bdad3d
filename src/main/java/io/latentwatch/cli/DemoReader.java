package io.latentwatch.cli;

import io.latentwatch.console.ConsoleAlert;
import io.latentwatch.console.LatentScore;
import io.latentwatch.dev.FrameProducer;
import io.latentwatch.pipeline.kafka.KafkaClientConfig;
import io.latentwatch.registry.ModelUpdate;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The demo's view of the job's output: reads latents, alerts, dead letters and model updates (read_committed, as a
 * consumer of exactly-once topics must), prints each alert and each model decision as it comes, and keeps what the
 * summary needs. Alerts are at-least-once, so a repeat (same frame_id) is dropped here, as the topic table says.
 */
final class DemoReader implements Runnable {

    static final String LATENTS = "latents";
    static final String ALERTS = "alerts";
    static final String DEAD_LETTERS = "frames-dlq";
    static final String MODEL_UPDATES = "model-updates";
    static final List<String> TOPICS = List.of("frames", LATENTS, ALERTS, DEAD_LETTERS, MODEL_UPDATES);
    /** Frame ids of the frames that wait for the job to be ready: not part of the demo's figures. */
    static final String WARM_UP = "warm-up-";

    /** A scored frame: the model version that scored it and whether it was judged anomalous. */
    record Scored(String frameId, long capturedAt, long version, boolean anomaly) {}

    /** A model decision and when the demo saw it. */
    record Decision(ModelUpdate update, long seenAt) {}

    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicReference<Exception> failure = new AtomicReference<>();
    /** Frames in the order their latents records were read. */
    final List<Scored> scored = Collections.synchronizedList(new ArrayList<>());
    final Map<String, Long> alerted = new ConcurrentHashMap<>();
    /** The region [x, y, w, h] of each alert that had one. */
    final Map<String, int[]> alertRegions = new ConcurrentHashMap<>();
    final List<Long> alertLatencies = Collections.synchronizedList(new ArrayList<>());
    final List<Decision> decisions = Collections.synchronizedList(new ArrayList<>());
    final AtomicLong deadLetters = new AtomicLong();
    final AtomicLong repeatedAlerts = new AtomicLong();
    final AtomicLong unreadable = new AtomicLong();
    /** Counted down when a warm-up frame's latents record arrives: the job scores. */
    final CountDownLatch ready = new CountDownLatch(1);
    /** Counted down when a warm-up frame's alert arrives: the alert's path (its map picture, its producer) has run once. */
    final CountDownLatch alerting = new CountDownLatch(1);
    private final Map<Long, Decision> awaitingFirstFrame = new ConcurrentHashMap<>();
    private final KafkaClientConfig client;
    private final Map<String, FrameProducer.Sent> truth;
    private final PrintWriter out;
    private final boolean quiet;
    private long servedVersion = -1;

    DemoReader(KafkaClientConfig client, Map<String, FrameProducer.Sent> truth, PrintWriter out, boolean quiet) {
        this.client = client;
        this.truth = truth;
        this.out = out;
        this.quiet = quiet;
    }

    @Override
    public void run() {
        Map<String, Object> p = client.toMap();
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "latentwatch-demo-reader");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            List<TopicPartition> tps = new ArrayList<>();
            for (String topic : List.of(LATENTS, ALERTS, DEAD_LETTERS, MODEL_UPDATES)) {
                consumer.partitionsFor(topic, Duration.ofSeconds(30)).forEach(pi -> tps.add(new TopicPartition(topic, pi.partition())));
            }
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            while (!stop.get()) {
                for (ConsumerRecord<byte[], byte[]> rec : consumer.poll(Duration.ofMillis(50))) {
                    try {
                        read(rec, System.currentTimeMillis());
                    } catch (RuntimeException e) {
                        // a record some other writer put on the demo's broker: counted, never the end of the demo
                        unreadable.incrementAndGet();
                    }
                }
            }
        } catch (Exception e) {
            failure.set(e);
        }
    }

    private void read(ConsumerRecord<byte[], byte[]> rec, long now) {
        String value = new String(rec.value(), StandardCharsets.UTF_8);
        switch (rec.topic()) {
            case DEAD_LETTERS -> deadLetters.incrementAndGet();
            case MODEL_UPDATES -> decided(ModelUpdate.fromJson(value), now);
            case LATENTS -> {
                LatentScore l = LatentScore.fromJson(value);
                if (l.frameId().startsWith(WARM_UP)) {
                    ready.countDown();
                    return;
                }
                Scored s = new Scored(l.frameId(), l.capturedAt(), l.modelVersion(), l.anomaly());
                scored.add(s);
                switched(s, now);
            }
            case ALERTS -> alert(ConsoleAlert.fromJson(value), now);
            default -> { }
        }
    }

    private void alert(ConsoleAlert a, long now) {
        String id = a.frameId();
        if (id.startsWith(WARM_UP)) {
            alerting.countDown();
            return;
        }
        if (alerted.putIfAbsent(id, now) != null) {
            repeatedAlerts.incrementAndGet();
            return;
        }
        long latency = now - a.capturedAt();
        alertLatencies.add(latency);
        if (a.region() != null) {
            alertRegions.put(id, a.region());
        }
        if (quiet) {
            return;
        }
        FrameProducer.Sent s = truth.get(id);
        print(String.format(Locale.ROOT, "ALERT %-6s %-16s %-6s %5.1fx threshold  region %-17s %4d ms after capture  truth: %s",
                a.source(), id, a.severity(), ratio(a.score(), a.threshold()), region(a.region()), latency, s == null ? "?" : s.label()));
    }

    private void decided(ModelUpdate u, long now) {
        Decision d = new Decision(u, now);
        decisions.add(d);
        if (u.accepted() && u.version() != null) {
            awaitingFirstFrame.put(u.version(), d);
        }
        if (quiet) {
            return;
        }
        if (!u.accepted()) {
            print(String.format(Locale.ROOT, "MODEL %s rejected: %s%s", u.version() == null ? "candidate" : "v" + u.version(), u.reason(),
                    losses(u)));
        } else if (u.valLossBefore() == null) {
            print(String.format(Locale.ROOT, "MODEL v%d serving: %s", u.version(), u.reason()));
        } else {
            print(String.format(Locale.ROOT, "MODEL v%d accepted (fine-tuned from v%d)%s", u.version(), u.parentVersion(), losses(u)));
        }
    }

    /** The first latents record of a newly accepted version: the moment the scorers switched. */
    private void switched(Scored s, long now) {
        if (s.version() == servedVersion) {
            return;
        }
        servedVersion = s.version();
        Decision d = awaitingFirstFrame.remove(s.version());
        if (d == null) {
            return;
        }
        if (!quiet && d.update().valLossBefore() != null) {
            print(String.format(Locale.ROOT, "MODEL v%d scores from frame %s on, %.1f s after it was accepted: the scorers switched without a restart",
                    s.version(), s.frameId(), (now - d.seenAt()) / 1000.0));
        }
    }

    private static String losses(ModelUpdate u) {
        if (u.valLossBefore() == null || u.valLossAfter() == null) {
            return "";
        }
        return String.format(Locale.ROOT, ": held-out loss %.4f -> %.4f", u.valLossBefore(), u.valLossAfter());
    }

    private synchronized void print(String line) {
        out.println(line);
        out.flush();
    }

    /** [x, y, w, h] as "WxH at (X,Y)", or "-". */
    static String region(int[] r) {
        return r == null ? "-" : String.format(Locale.ROOT, "%dx%d at (%d,%d)", r[2], r[3], r[0], r[1]);
    }

    /** Score over threshold; NaN where either is null (a score that was not finite, a source without a threshold). */
    private static double ratio(Double score, Double threshold) {
        return score == null || threshold == null ? Double.NaN : score / threshold;
    }
}
