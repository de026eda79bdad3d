package io.latentwatch.frames.synthetic;

import io.latentwatch.frames.Frame;
import io.latentwatch.frames.ImageFrames;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Arc2D;
import java.awt.geom.Area;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.PathIterator;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A deterministic synthetic inspection camera: a machined gear (ten teeth, a hub with a keyed bore, four bolt
 * holes) lying on a conveyor belt, seen from above, with labelled anomalies injected at a set rate.
 *
 * <p>Normal frames vary within fixed bounds, like a real line: the part's rotation (any angle, or a fixture's few
 * degrees: {@link Builder#optMaxRotation}), its position (±5 and ±3 units of the 64-unit scene), the belt's slat
 * phase, the metal's tone, the overall gain (0.85–1.15), a soft lighting gradient from a random direction (up to
 * ±15 % across the scene) and sensor noise (σ = 2 levels by default). That is a handful of smooth factors, which
 * a small VAE learns; anomalies are local (a few dozen to a few hundred pixels of a 64 × 64 frame) or whole-frame
 * (BLANK, OVEREXPOSED), see {@link AnomalyKind}.
 * Measured once (2026-11-26, H100): PyTorch-VAE's DIP-VAE (latent 128, DIP-II, the project's loss weights) trained
 * for two minutes on frames 0–19,999 of the default camera reached a frame mse of 0.0019 on held-out normal frames;
 * with the threshold at the normal frames' 99th percentile it flagged 87 % of scratches (AUROC 0.987), 98 % of
 * foreign objects (0.995), 99 % of stains (0.998) and all of the other kinds. Lines and objects are at least about a
 * pixel wide at any size, but below 64 × 64 the small kinds get harder to see.
 *
 * <p>Frame {@code i} is a pure function of the settings and {@code i} (each frame draws from its own random
 * streams, seeded from the camera's seed and the index), so {@link #frame(long)} gives random access, the same
 * seed gives the same pixels on every run (of the same Java runtime: Java2D's antialiasing may differ between
 * versions by a level or two at edges), and {@link #frame(long, AnomalyKind)} renders exactly the scene of
 * frame {@code i} with a chosen anomaly, or none. With a lighting drift, frame {@code i} is brighter than the
 * normal scene by {@code drift × (i − start index)} levels: the drift starts where the camera does.
 *
 * <p>{@link #next()} keeps a cursor and is not thread-safe; {@link #frame(long)} is.
 */
public final class SyntheticCamera {

    /** The scene is drawn in a UNITS × UNITS space and scaled to the image size. */
    private static final double UNITS = 64;

    private static final int MIN_SIZE = 16;
    private static final int MAX_SIZE = 1024;

    /** How far a part in a fixture lies turned, in degrees either way: the demo's line and the {@code fixture} dataset. */
    public static final double FIXTURE_MAX_ROTATION = 5;

    // random streams of one frame, kept apart so that choosing an anomaly does not move the scene or the noise
    private static final int SCENE = 0;
    private static final int ANOMALY_CHOICE = 1;
    private static final int ANOMALY_SHAPE = 2;
    private static final int SENSOR = 3;

    private static final Color FRAME_STEEL = new Color(58, 66, 80);
    private static final Color RAIL = new Color(125, 130, 138);
    private static final Color BELT = new Color(46, 46, 50);
    private static final Color SLAT = new Color(34, 34, 38);
    private static final Color EDGE = new Color(85, 90, 100);
    private static final Color HUB_STEP = new Color(150, 155, 165);

    /** Where the part's shadow falls, in scene units: the light is above, slightly to the top left. */
    private static final AffineTransform SHADOW_OFFSET = AffineTransform.getTranslateInstance(1.6, 2.2);

    /** The gear, centred on the origin, radius 16 units at the tooth tips. */
    private static final Area GEAR = gear();

    private final long seed;
    private final int imageSize;
    private final int channels;
    private final double anomalyRate;
    private final AnomalyKind[] kinds;
    private final double lightingDrift;
    private final double sensorNoise;
    private final double maxRotation;
    private long nextIndex;
    private final long startIndex;

    private SyntheticCamera(Builder b) {
        this.seed = b.seed;
        this.imageSize = b.imageSize;
        this.channels = b.channels;
        this.anomalyRate = b.anomalyRate;
        this.kinds = b.kinds.toArray(new AnomalyKind[0]);
        this.lightingDrift = b.lightingDrift;
        this.sensorNoise = b.sensorNoise;
        this.maxRotation = b.maxRotation;
        this.nextIndex = b.startIndex;
        this.startIndex = b.startIndex;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The frame at the cursor, then moves the cursor on by one. */
    public CameraFrame next() {
        return frame(nextIndex++);
    }

    /** Frame {@code index} as the camera shows it: normal, or with the anomaly {@link #anomalyAt(long)} chose. */
    public CameraFrame frame(long index) {
        return frame(index, anomalyAt(index));
    }

    /**
     * Whether frame {@code index} is anomalous, and how: with probability anomalyRate one of the enabled kinds,
     * each equally likely, else {@link AnomalyKind#NONE}.
     */
    public AnomalyKind anomalyAt(long index) {
        checkIndex(index);
        if (anomalyRate == 0) {
            return AnomalyKind.NONE;
        }
        SplittableRandom r = random(index, ANOMALY_CHOICE);
        if (r.nextDouble() >= anomalyRate) {
            return AnomalyKind.NONE;
        }
        return kinds[r.nextInt(kinds.length)];
    }

    /**
     * The scene of frame {@code index} (pose, position, lighting, drift, sensor noise) with the given anomaly
     * injected; {@link AnomalyKind#NONE} gives the clean scene. The pair differs only by the anomaly.
     */
    public CameraFrame frame(long index, AnomalyKind kind) {
        checkIndex(index);
        Scene scene = new Scene(random(index, SCENE), maxRotation);
        SplittableRandom shape = random(index, ANOMALY_SHAPE);
        double scale = imageSize / UNITS;

        BufferedImage canvas = new BufferedImage(imageSize, imageSize, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas.createGraphics();
        Rectangle2D unitRegion;
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.scale(scale, scale);
            drawBelt(g, scene);
            unitRegion = drawPart(g, scene, kind, shape);
        } finally {
            g.dispose();
        }

        int n = imageSize * imageSize;
        float[][] planes = light(canvas, scene, index);
        if (channels == 1) {
            planes = new float[][] {luma(planes)};
        }
        Rectangle region = switch (kind) {
            case NOISE_BURST -> noiseBurst(planes, shape);
            case BLANK -> blank(planes);
            case OVEREXPOSED -> overexpose(planes);
            case NONE -> new Rectangle();
            default -> toPixels(unitRegion, scale);
        };
        addSensorNoise(planes, random(index, SENSOR));
        return new CameraFrame(index, quantise(planes, n), kind, region);
    }

    // ---- the scene ----------------------------------------------------------------------------------------------

    /** What varies between normal frames, drawn from the frame's scene stream. */
    private static final class Scene {
        final double cx;
        final double cy;
        final double angle;
        final double gain;
        final double lightAngle;
        final double lightSlope;
        final double beltPhase;
        final int tone;

        Scene(SplittableRandom r, double maxRotation) {
            cx = UNITS / 2 + r.nextDouble(-5, 5);
            cy = UNITS / 2 + 1 + r.nextDouble(-3, 3);
            // one draw either way, so that the other factors of a frame are the same with and without a fixture
            double turn = r.nextDouble();
            angle = maxRotation >= 180 ? turn * 2 * Math.PI : Math.toRadians((2 * turn - 1) * maxRotation);
            gain = r.nextDouble(0.85, 1.15);
            lightAngle = r.nextDouble(0, 2 * Math.PI);
            lightSlope = r.nextDouble(0.0, 0.15);
            beltPhase = r.nextDouble(0, 8);
            tone = r.nextInt(-10, 11);
        }

        AffineTransform placement() {
            AffineTransform t = AffineTransform.getTranslateInstance(cx, cy);
            t.rotate(angle);
            return t;
        }
    }

    /** Machine frame, rails and the belt with its slats (8 units apart, moving with the belt). */
    private static void drawBelt(Graphics2D g, Scene s) {
        g.setColor(FRAME_STEEL);
        g.fill(new Rectangle2D.Double(0, 0, UNITS, UNITS));
        g.setColor(BELT);
        g.fill(new Rectangle2D.Double(0, 12, UNITS, 40));
        g.setColor(SLAT);
        for (double x = s.beltPhase - 8; x < UNITS; x += 8) {
            g.fill(new Rectangle2D.Double(x, 12, 1.2, 40));
        }
        g.setColor(RAIL);
        g.fill(new Rectangle2D.Double(0, 10.5, UNITS, 2));
        g.fill(new Rectangle2D.Double(0, 51.5, UNITS, 2));
    }

    /**
     * The part with its shadow and, for the part-bound kinds, the anomaly.
     *
     * @return the anomaly's bounding box in scene units, or null when it is not drawn here
     */
    private Rectangle2D drawPart(Graphics2D g, Scene s, AnomalyKind kind, SplittableRandom r) {
        AffineTransform place = s.placement();
        Area part = new Area(GEAR);
        Rectangle2D region = null;
        if (kind == AnomalyKind.MISSING_PART) {
            // a wedge of rim and teeth broken off; the hub stays
            double start = r.nextDouble(0, 360);
            double extent = r.nextDouble(55, 75);
            Area wedge = new Area(new Arc2D.Double(-20, -20, 40, 40, start, extent, Arc2D.PIE));
            wedge.subtract(new Area(circle(0, 0, 6.5)));
            Area lost = new Area(part);
            lost.intersect(wedge);
            lost = lost.createTransformedArea(place);
            region = lost.getBounds2D();
            // the shadow of the lost piece goes with it
            region.add(lost.createTransformedArea(SHADOW_OFFSET).getBounds2D());
            part.subtract(wedge);
        }
        part = part.createTransformedArea(place);

        Area shadow = part.createTransformedArea(SHADOW_OFFSET);
        g.setColor(new Color(0, 0, 0, 95));
        g.fill(shadow);

        // metal lit from the scene's light direction: the side facing the light is brighter
        double dx = Math.cos(s.lightAngle) * 16;
        double dy = Math.sin(s.lightAngle) * 16;
        g.setPaint(new GradientPaint(
                (float) (s.cx + dx), (float) (s.cy + dy), gray(210 + s.tone, 3),
                (float) (s.cx - dx), (float) (s.cy - dy), gray(130 + s.tone, 6)));
        g.fill(part);
        g.setStroke(new BasicStroke(0.8f));
        g.setColor(HUB_STEP);
        g.draw(place.createTransformedShape(circle(0, 0, 6)));
        g.setStroke(new BasicStroke(0.7f));
        g.setColor(EDGE);
        g.draw(part);

        switch (kind) {
            case SCRATCH -> region = scratch(g, s, part, r);
            case STAIN -> region = stain(g, s, part, r);
            case FOREIGN_OBJECT -> region = foreignObject(g, s, r);
            default -> { }
        }
        return region;
    }

    /**
     * A groove of three segments (15–24 units) across the face: dark, with a bright lip beside it. Candidates
     * that run mostly off the metal (over the bore, the holes or past the rim) are drawn again, so every scratch
     * is visible.
     */
    private Rectangle2D scratch(Graphics2D g, Scene s, Area part, SplittableRandom r) {
        Path2D.Double groove = null;
        for (int attempt = 0; attempt < 16; attempt++) {
            groove = groove(s, r);
            if (fractionOn(part, groove) >= 0.8) {
                break;
            }
        }
        Shape clip = g.getClip();
        g.clip(part);
        // at least about a pixel wide, so that the groove survives small image sizes
        float width = (float) Math.max(1.6, 1.2 * pixel());
        float lip = (float) Math.max(0.7, 0.6 * pixel());
        g.setStroke(new BasicStroke(width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        g.setColor(new Color(38, 38, 44));
        g.draw(groove);
        g.setStroke(new BasicStroke(lip, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        g.setColor(new Color(248, 248, 252));
        double shift = (width + lip) / 2 / Math.sqrt(2);
        g.draw(AffineTransform.getTranslateInstance(shift, -shift).createTransformedShape(groove));
        g.setClip(clip);
        Area marked = new Area(new BasicStroke(width + 2 * lip + 0.4f).createStrokedShape(groove));
        marked.intersect(part);
        return marked.getBounds2D();
    }

    private static Path2D.Double groove(Scene s, SplittableRandom r) {
        double a = r.nextDouble(0, 2 * Math.PI);
        double rad = r.nextDouble(0, 8);
        double x = s.cx + rad * Math.cos(a);
        double y = s.cy + rad * Math.sin(a);
        double dir = r.nextDouble(0, 2 * Math.PI);
        Path2D.Double groove = new Path2D.Double();
        groove.moveTo(x, y);
        for (int i = 0; i < 3; i++) {
            dir += r.nextDouble(-0.6, 0.6);
            double len = r.nextDouble(5, 8);
            x += len * Math.cos(dir);
            y += len * Math.sin(dir);
            groove.lineTo(x, y);
        }
        return groove;
    }

    /** The fraction of points, every quarter unit along a polyline, that lie on the shape. */
    private static double fractionOn(Area shape, Path2D.Double polyline) {
        int on = 0;
        int all = 0;
        double[] c = new double[6];
        double px = 0;
        double py = 0;
        for (PathIterator it = polyline.getPathIterator(null); !it.isDone(); it.next()) {
            int type = it.currentSegment(c);
            if (type == PathIterator.SEG_LINETO) {
                int steps = Math.max(1, (int) Math.ceil(Math.hypot(c[0] - px, c[1] - py) * 4));
                for (int k = 1; k <= steps; k++) {
                    double t = (double) k / steps;
                    all++;
                    on += shape.contains(px + t * (c[0] - px), py + t * (c[1] - py)) ? 1 : 0;
                }
            }
            px = c[0];
            py = c[1];
        }
        return all == 0 ? 0 : (double) on / all;
    }

    /** An irregular dark oil stain, 3.5–5.5 units in radius, on the face. */
    private static Rectangle2D stain(Graphics2D g, Scene s, Area part, SplittableRandom r) {
        double a = r.nextDouble(0, 2 * Math.PI);
        double rad = r.nextDouble(2, 8);
        double cx = s.cx + rad * Math.cos(a);
        double cy = s.cy + rad * Math.sin(a);
        double size = r.nextDouble(3.5, 5.5);
        Path2D.Double blob = new Path2D.Double();
        int vertices = 12;
        for (int i = 0; i < vertices; i++) {
            double t = 2 * Math.PI * i / vertices;
            double radius = size * r.nextDouble(0.7, 1.25);
            double px = cx + radius * Math.cos(t);
            double py = cy + radius * Math.sin(t);
            if (i == 0) {
                blob.moveTo(px, py);
            } else {
                blob.lineTo(px, py);
            }
        }
        blob.closePath();
        Area stain = new Area(blob);
        stain.intersect(part);
        g.setColor(new Color(52, 38, 24, 215));
        g.fill(stain);
        return stain.getBounds2D();
    }

    /**
     * Something that does not belong: a bright screw, a blue plastic shard or an orange cable-tie offcut, 6–11
     * units long, within 20 units of the part's centre, on the belt or on the part.
     */
    private Rectangle2D foreignObject(Graphics2D g, Scene s, SplittableRandom r) {
        double a = r.nextDouble(0, 2 * Math.PI);
        double rad = r.nextDouble(4, 20);
        double x = clamp(s.cx + rad * Math.cos(a), 6, UNITS - 6);
        double y = clamp(s.cy + rad * Math.sin(a), 17, 47);
        AffineTransform at = AffineTransform.getTranslateInstance(x, y);
        at.rotate(r.nextDouble(0, 2 * Math.PI));
        int type = r.nextInt(3);
        Shape object;
        Color colour;
        if (type == 0) {
            Area screw = new Area(new Rectangle2D.Double(-3.5, -1, 8, 2));
            screw.add(new Area(new Rectangle2D.Double(-5.2, -1.8, 2.2, 3.6)));
            object = at.createTransformedShape(screw);
            colour = new Color(232, 228, 205);
        } else if (type == 1) {
            Path2D.Double shard = new Path2D.Double();
            for (int i = 0; i < 5; i++) {
                double t = 2 * Math.PI * i / 5 + r.nextDouble(-0.3, 0.3);
                double radius = r.nextDouble(2.8, 4.5);
                if (i == 0) {
                    shard.moveTo(radius * Math.cos(t), radius * Math.sin(t));
                } else {
                    shard.lineTo(radius * Math.cos(t), radius * Math.sin(t));
                }
            }
            shard.closePath();
            object = at.createTransformedShape(shard);
            colour = new Color(35, 105, 225);
        } else {
            Path2D.Double tie = new Path2D.Double();
            tie.moveTo(-5.5, 0);
            tie.quadTo(0, r.nextDouble(-3, 3), 5.5, 0);
            object = at.createTransformedShape(
                    new BasicStroke((float) Math.max(2, 1.2 * pixel()), BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND)
                            .createStrokedShape(tie));
            colour = new Color(238, 96, 24);
        }
        g.setColor(new Color(0, 0, 0, 80));
        g.fill(AffineTransform.getTranslateInstance(0.8, 1.0).createTransformedShape(object));
        g.setColor(colour);
        g.fill(object);
        g.setStroke(new BasicStroke(0.4f));
        g.setColor(colour.darker());
        g.draw(object);
        Rectangle2D b = object.getBounds2D();
        b.add(b.getMaxX() + 0.8, b.getMaxY() + 1.0);
        return b;
    }

    /** Ten teeth on a 12.5-unit body, a bore with a keyway, four bolt holes on an 8-unit circle. */
    private static Area gear() {
        Area gear = new Area(circle(0, 0, 12.5));
        int teeth = 10;
        for (int i = 0; i < teeth; i++) {
            double t = 2 * Math.PI * i / teeth;
            Path2D.Double tooth = new Path2D.Double();
            tooth.moveTo(12, -2.2);
            tooth.lineTo(16, -1.4);
            tooth.lineTo(16, 1.4);
            tooth.lineTo(12, 2.2);
            tooth.closePath();
            gear.add(new Area(AffineTransform.getRotateInstance(t).createTransformedShape(tooth)));
        }
        gear.subtract(new Area(circle(0, 0, 3.6)));
        gear.subtract(new Area(new Rectangle2D.Double(2.8, -1, 2.2, 2)));
        for (int i = 0; i < 4; i++) {
            double t = Math.PI / 4 + Math.PI / 2 * i;
            gear.subtract(new Area(circle(8 * Math.cos(t), 8 * Math.sin(t), 1.5)));
        }
        return gear;
    }

    // ---- pixels -------------------------------------------------------------------------------------------------

    /**
     * Applies gain, the lighting gradient and the drift to the rendered scene.
     *
     * @return three planes (R, G, B) of imageSize × imageSize values in 8-bit levels, not yet clamped
     */
    private float[][] light(BufferedImage canvas, Scene s, long index) {
        int[] rgb = ((DataBufferInt) canvas.getRaster().getDataBuffer()).getData();
        int n = imageSize * imageSize;
        float[][] planes = new float[3][n];
        double ux = Math.cos(s.lightAngle);
        double uy = Math.sin(s.lightAngle);
        double unitsPerPixel = UNITS / imageSize;
        double offset = lightingDrift * (index - startIndex);
        for (int py = 0; py < imageSize; py++) {
            double y = (py + 0.5) * unitsPerPixel - UNITS / 2;
            for (int px = 0; px < imageSize; px++) {
                double x = (px + 0.5) * unitsPerPixel - UNITS / 2;
                double factor = s.gain * (1 + s.lightSlope * (x * ux + y * uy) / (UNITS / 2));
                int p = py * imageSize + px;
                int v = rgb[p];
                planes[0][p] = (float) (((v >> 16) & 0xff) * factor + offset);
                planes[1][p] = (float) (((v >> 8) & 0xff) * factor + offset);
                planes[2][p] = (float) ((v & 0xff) * factor + offset);
            }
        }
        return planes;
    }

    /** The luma {@link ImageFrames} takes for grayscale models, so that a gray camera sees what a gray model is fed. */
    private static float[] luma(float[][] rgb) {
        float[] out = new float[rgb[0].length];
        for (int i = 0; i < out.length; i++) {
            out[i] = ImageFrames.luma(rgb[0][i], rgb[1][i], rgb[2][i]);
        }
        return out;
    }

    /** A band of 10–20 % of the rows, mostly replaced by uniform noise. */
    private Rectangle noiseBurst(float[][] planes, SplittableRandom r) {
        int height = Math.max(2, (int) Math.round(imageSize * r.nextDouble(0.10, 0.20)));
        int top = r.nextInt(0, imageSize - height + 1);
        for (float[] plane : planes) {
            for (int p = top * imageSize; p < (top + height) * imageSize; p++) {
                plane[p] = 0.35f * plane[p] + 0.65f * (float) r.nextDouble(0, 256);
            }
        }
        return new Rectangle(0, top, imageSize, height);
    }

    /** Nothing but the sensor's dark level; drift and scene are gone. */
    private Rectangle blank(float[][] planes) {
        for (float[] plane : planes) {
            Arrays.fill(plane, 4f);
        }
        return new Rectangle(0, 0, imageSize, imageSize);
    }

    /** Exposure far too long: everything but the darkest parts clips to white. */
    private Rectangle overexpose(float[][] planes) {
        for (float[] plane : planes) {
            for (int i = 0; i < plane.length; i++) {
                plane[i] = plane[i] * 2.2f + 110f;
            }
        }
        return new Rectangle(0, 0, imageSize, imageSize);
    }

    private void addSensorNoise(float[][] planes, SplittableRandom r) {
        if (sensorNoise == 0) {
            return;
        }
        for (float[] plane : planes) {
            for (int i = 0; i < plane.length; i++) {
                plane[i] += (float) (r.nextGaussian() * sensorNoise);
            }
        }
    }

    /** Rounds and clamps to 8 bits, into a packed-RGB or 8-bit gray image. */
    private BufferedImage quantise(float[][] planes, int n) {
        if (planes.length == 1) {
            BufferedImage img = new BufferedImage(imageSize, imageSize, BufferedImage.TYPE_BYTE_GRAY);
            // raw samples: drawing or setRGB would pass the values through a colour-space conversion
            byte[] out = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
            for (int i = 0; i < n; i++) {
                out[i] = (byte) level(planes[0][i]);
            }
            return img;
        }
        BufferedImage img = new BufferedImage(imageSize, imageSize, BufferedImage.TYPE_INT_RGB);
        int[] out = ((DataBufferInt) img.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < n; i++) {
            out[i] = level(planes[0][i]) << 16 | level(planes[1][i]) << 8 | level(planes[2][i]);
        }
        return img;
    }

    private static int level(float v) {
        return Math.max(0, Math.min(255, Math.round(v)));
    }

    /** A scene-unit box as pixels, rounded outwards by one pixel (antialiased edges) and clipped to the image. */
    private Rectangle toPixels(Rectangle2D units, double scale) {
        if (units == null || units.isEmpty()) {
            return new Rectangle();
        }
        int x0 = (int) Math.floor(units.getMinX() * scale) - 1;
        int y0 = (int) Math.floor(units.getMinY() * scale) - 1;
        int x1 = (int) Math.ceil(units.getMaxX() * scale) + 1;
        int y1 = (int) Math.ceil(units.getMaxY() * scale) + 1;
        return new Rectangle(x0, y0, x1 - x0, y1 - y0).intersection(new Rectangle(0, 0, imageSize, imageSize));
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    /** The random stream {@code stream} of frame {@code index}: a hash of seed, index and stream. */
    private SplittableRandom random(long index, int stream) {
        return new SplittableRandom(mix(seed ^ mix(index * 4 + stream + 0x632BE59BD9B4E019L)));
    }

    /** MurmurHash3's 64-bit finaliser: nearby inputs give unrelated outputs. */
    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }

    /** One pixel in scene units. */
    private double pixel() {
        return UNITS / imageSize;
    }

    private static Ellipse2D circle(double cx, double cy, double r) {
        return new Ellipse2D.Double(cx - r, cy - r, 2 * r, 2 * r);
    }

    /** A slightly blue-tinted steel gray. */
    private static Color gray(int level, int blue) {
        int v = Math.max(0, Math.min(255, level));
        return new Color(v, Math.min(255, v + 2), Math.min(255, v + blue));
    }

    private static double clamp(double v, double lo, double hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    private static void checkIndex(long index) {
        if (index < 0) {
            throw new IllegalArgumentException("frame index must be >= 0, got " + index);
        }
    }

    // ---- settings -----------------------------------------------------------------------------------------------

    public long seed() {
        return seed;
    }

    public int imageSize() {
        return imageSize;
    }

    /** 1 (8-bit gray) or 3 (RGB). */
    public int channels() {
        return channels;
    }

    public double anomalyRate() {
        return anomalyRate;
    }

    public List<AnomalyKind> anomalyKinds() {
        return List.of(kinds);
    }

    /** Brightness added per frame, in 8-bit levels (frame i is drift × (i − start index) levels brighter). */
    public double lightingDrift() {
        return lightingDrift;
    }

    /** Standard deviation of the per-pixel Gaussian sensor noise, in 8-bit levels. */
    public double sensorNoise() {
        return sensorNoise;
    }

    /** How far a part may be turned from upright, in degrees either way (180: any angle). */
    public double maxRotation() {
        return maxRotation;
    }

    /** The index {@link #next()} returns next. */
    public long nextIndex() {
        return nextIndex;
    }

    @Override
    public String toString() {
        return String.format(
                "SyntheticCamera[seed=%d, %dx%d %s, anomalyRate=%s, kinds=%s, drift=%s levels/frame, noise=%s, rotation ±%s°]",
                seed, imageSize, imageSize, channels == 1 ? "gray" : "RGB", anomalyRate, Arrays.toString(kinds),
                lightingDrift, sensorNoise, maxRotation);
    }

    /**
     * Settings of a camera; each has a default, so {@code SyntheticCamera.builder().build()} is a 64 × 64 RGB
     * camera, seed 1, without anomalies, drift or start offset.
     */
    public static final class Builder {
        private long seed = 1;
        private int imageSize = 64;
        private int channels = 3;
        private double anomalyRate = 0;
        private EnumSet<AnomalyKind> kinds = EnumSet.complementOf(EnumSet.of(AnomalyKind.NONE));
        private double lightingDrift = 0;
        private double sensorNoise = 2;
        private long startIndex = 0;
        private double maxRotation = 180;

        private Builder() {}

        /** Seed of every random choice; the same seed gives the same frames (default 1). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Side of the square frames in pixels, 16 to 1024 (default 64). */
        public Builder imageSize(int imageSize) {
            this.imageSize = imageSize;
            return this;
        }

        /** 1 for 8-bit grayscale frames, 3 for RGB (default 3). */
        public Builder channels(int channels) {
            this.channels = channels;
            return this;
        }

        /** Fraction of frames with an injected anomaly, 0 to 1 (default 0). */
        public Builder anomalyRate(double anomalyRate) {
            this.anomalyRate = anomalyRate;
            return this;
        }

        /** The kinds injected, each equally likely (default: all but NONE). */
        public Builder optAnomalyKinds(AnomalyKind... kinds) {
            this.kinds = kinds.length == 0 ? EnumSet.noneOf(AnomalyKind.class) : EnumSet.copyOf(Arrays.asList(kinds));
            return this;
        }

        /**
         * A gradual lighting change: frame i gets {@code levelsPerFrame × (i − start index)} added to every channel
         * (8-bit levels, before clipping). Negative values darken. Default 0.
         */
        public Builder optLightingDrift(double levelsPerFrame) {
            this.lightingDrift = levelsPerFrame;
            return this;
        }

        /** Standard deviation of per-pixel Gaussian sensor noise in 8-bit levels (default 2; 0 for none). */
        public Builder optSensorNoise(double sigma) {
            this.sensorNoise = sigma;
            return this;
        }

        /**
         * How far a part may be turned from its upright pose, in degrees either way: 180 (the default) is any angle, a
         * part dropped loose on the belt; a few degrees is a part held in a fixture, as an inspection station holds it.
         */
        public Builder optMaxRotation(double degrees) {
            this.maxRotation = degrees;
            return this;
        }

        /** The index of the first frame {@link SyntheticCamera#next()} returns (default 0). */
        public Builder optStartIndex(long startIndex) {
            this.startIndex = startIndex;
            return this;
        }

        public SyntheticCamera build() {
            if (imageSize < MIN_SIZE || imageSize > MAX_SIZE) {
                throw new IllegalArgumentException(
                        "imageSize must be between " + MIN_SIZE + " and " + MAX_SIZE + " pixels, got " + imageSize);
            }
            if (channels != 1 && channels != 3) {
                throw new IllegalArgumentException("channels must be 1 (gray) or 3 (RGB), got " + channels);
            }
            if (!(anomalyRate >= 0 && anomalyRate <= 1)) {
                throw new IllegalArgumentException("anomalyRate must be in [0, 1], got " + anomalyRate);
            }
            if (kinds.contains(AnomalyKind.NONE)) {
                throw new IllegalArgumentException("anomaly kinds must not include NONE; set anomalyRate to inject fewer");
            }
            if (anomalyRate > 0 && kinds.isEmpty()) {
                throw new IllegalArgumentException("anomalyRate is " + anomalyRate + " but no anomaly kinds are enabled");
            }
            if (!Double.isFinite(lightingDrift)) {
                throw new IllegalArgumentException("lighting drift must be finite, got " + lightingDrift);
            }
            if (!(sensorNoise >= 0 && Double.isFinite(sensorNoise))) {
                throw new IllegalArgumentException("sensor noise must be >= 0, got " + sensorNoise);
            }
            if (!(maxRotation >= 0 && maxRotation <= 180)) {
                throw new IllegalArgumentException("max rotation must be between 0 and 180 degrees, got " + maxRotation);
            }
            if (startIndex < 0) {
                throw new IllegalArgumentException("start index must be >= 0, got " + startIndex);
            }
            return new SyntheticCamera(this);
        }
    }
}
