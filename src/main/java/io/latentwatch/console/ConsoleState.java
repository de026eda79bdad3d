package io.latentwatch.console;

import com.google.gson.JsonObject;
import io.latentwatch.registry.ModelUpdate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the console knows, fed by the topic reader, and the live events for the pages that watch it. One lock guards
 * the state and the list of subscribers, so a page that subscribes gets a snapshot and then exactly the events after
 * it. Every part is bounded: recent alerts, recent frames' pictures, score traces, model timeline.
 */
final class ConsoleState {

    /** The topics' roles, as the counts of unreadable records name them. */
    static final String ALERTS = "alerts";
    static final String LATENTS = "latents";
    static final String MODEL_UPDATES = "model-updates";

    private static final Logger LOG = LoggerFactory.getLogger(ConsoleState.class);

    private final RecentAlerts alerts;
    private final FrameCache frames;
    private final ScoreTraces traces;
    private final ModelTimeline models;
    private final Map<String, Long> unreadable = new TreeMap<>();
    /** Each takes an event, or answers false when it cannot keep up and is dropped (its page reconnects). */
    private final List<Predicate<ConsoleEvent>> subscribers = new ArrayList<>();

    ConsoleState(RecentAlerts alerts, FrameCache frames, ScoreTraces traces, ModelTimeline models) {
        this.alerts = alerts;
        this.frames = frames;
        this.traces = traces;
        this.models = models;
    }

    /** An alerts value; one whose frame id was seen is dropped (at-least-once writers replay). */
    synchronized void onAlert(String json) {
        ConsoleAlert a = read(ALERTS, json, ConsoleAlert::fromJson);
        if (a == null) {
            return;
        }
        byte[] frame = frames.get(a.frameId());
        if (alerts.add(a, frame)) {
            publish(ConsoleEvent.ALERT, PageJson.alert(a, frame != null));
        }
    }

    /** A latents value: a point of its source's score trace. */
    synchronized void onLatents(String json) {
        LatentScore s = read(LATENTS, json, LatentScore::fromJson);
        ScoreTraces.Point p = s == null ? null : traces.add(s);
        if (p != null) {
            publish(ConsoleEvent.SCORE, PageJson.score(s.source(), p));
        }
    }

    /** A model-updates value. */
    synchronized void onModelUpdate(String json) {
        ModelUpdate u = read(MODEL_UPDATES, json, ModelUpdate::fromJson);
        if (u != null && models.add(u)) {
            publish(ConsoleEvent.MODEL_UPDATE, PageJson.modelUpdate(u));
        }
    }

    /** A frames record's picture; an alert that came before it gets it now. */
    synchronized void onFrame(String frameId, byte[] image) {
        frames.put(frameId, image);
        if (alerts.attachFrame(frameId, image)) {
            publish(ConsoleEvent.FRAME, PageJson.frame(frameId));
        }
    }

    /** Registers a subscriber and returns the snapshot it starts from; the events after it go to the subscriber. */
    synchronized ConsoleEvent subscribe(Predicate<ConsoleEvent> subscriber) {
        subscribers.add(subscriber);
        return snapshot();
    }

    synchronized void unsubscribe(Predicate<ConsoleEvent> subscriber) {
        subscribers.remove(subscriber);
    }

    synchronized int subscribers() {
        return subscribers.size();
    }

    /** Everything the page shows, as one event. */
    synchronized ConsoleEvent snapshot() {
        List<JsonObject> kept = new ArrayList<>();
        for (ConsoleAlert a : alerts.inOrder()) {
            kept.add(PageJson.alert(a, alerts.hasFrame(a.frameId())));
        }
        return new ConsoleEvent(ConsoleEvent.SNAPSHOT,
                PageJson.snapshot(kept, alerts.capacity(), traces.snapshot(), traces.windowMillis(), models.inOrder(), unreadable).toString());
    }

    /** The picture of a frame: a kept alert's, else a recent frame's; null when neither has it. */
    synchronized byte[] framePicture(String frameId) {
        byte[] pinned = alerts.frame(frameId);
        return pinned != null ? pinned : frames.get(frameId);
    }

    /** The anomaly map picture of a kept alert, or null. */
    synchronized byte[] mapPicture(String frameId) {
        return alerts.map(frameId);
    }

    /** Records of a topic role that could not be read. */
    synchronized long unreadable(String role) {
        return unreadable.getOrDefault(role, 0L);
    }

    /** The parsed record, or null when it cannot be read: then it is counted, and the first of its topic logged. */
    private <T> T read(String role, String json, Function<String, T> parser) {
        try {
            return parser.apply(json);
        } catch (IllegalArgumentException e) {
            if (unreadable.merge(role, 1L, Long::sum) == 1) {
                LOG.warn("an unreadable {} record ({}); the console counts such records and skips them", role, e.getMessage());
            }
            return null;
        }
    }

    private void publish(String name, JsonObject data) {
        ConsoleEvent event = new ConsoleEvent(name, data.toString());
        subscribers.removeIf(s -> !s.test(event));
    }
}
