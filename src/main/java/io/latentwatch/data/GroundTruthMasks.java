package io.latentwatch.data;

import io.latentwatch.frames.ImageReading;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a dataset knows which pixels of an item are anomalous: a mask per item in a model's pixel grid, for pixel
 * metrics. Two kinds of dataset have them:
 *
 * <ul>
 *   <li>{@link SyntheticDataset}: the camera's ground-truth box ({@link io.latentwatch.frames.synthetic.CameraFrame#region()})
 *       scaled to the grid outwards, so that a box of a pixel or two never vanishes; a normal frame's mask is
 *       empty, a blank or over-exposed frame's the whole grid.
 *   <li>an {@link ImageFolderDataset} whose every image lies in the MVTec AD layout,
 *       {@code CATEGORY/test/<defect>/<name>.<ext>} with a {@code CATEGORY/ground_truth} folder: the mask of a
 *       {@code test/good} image is empty; any other's is {@code CATEGORY/ground_truth/<defect>/<name>_mask.png},
 *       resized to the grid by nearest neighbour, a pixel positive where the mask's level is above 127.
 * </ul>
 */
public final class GroundTruthMasks {

    /** MVTec AD's folder of defect-free test images, which have no mask files. */
    public static final String GOOD = "good";
    private static final String TEST = "test";
    private static final String GROUND_TRUTH = "ground_truth";
    private static final String MASK_SUFFIX = "_mask.png";

    private final ImageDataset dataset;
    private final boolean mvtec;

    private GroundTruthMasks(ImageDataset dataset, boolean mvtec) {
        this.dataset = dataset;
        this.mvtec = mvtec;
    }

    /**
     * The masks of a dataset, or null where it has none (Fashion-MNIST, MNIST, a folder not in the MVTec AD layout,
     * or one where only some images are).
     *
     * @throws IllegalArgumentException if a defect image of an MVTec-layout folder has no mask file (the message
     *     names the file expected)
     */
    public static GroundTruthMasks of(ImageDataset dataset) {
        if (dataset instanceof SyntheticDataset) {
            return new GroundTruthMasks(dataset, false);
        }
        if (!(dataset instanceof ImageFolderDataset folder) || folder.size() == 0) {
            return null;
        }
        for (int i = 0; i < folder.size(); i++) {
            if (!inMvtecLayout(folder.file(i))) {
                return null;
            }
        }
        for (int i = 0; i < folder.size(); i++) {
            Path mask = maskFile(folder.file(i));
            if (mask != null && !Files.isRegularFile(mask)) {
                throw new IllegalArgumentException("no ground-truth mask " + mask + " for " + folder.file(i)
                        + " (MVTec AD layout: every image of test/<defect>/ but good has ground_truth/<defect>/<name>" + MASK_SUFFIX + ")");
            }
        }
        return new GroundTruthMasks(dataset, true);
    }

    /** Whether a file is CATEGORY/test/DEFECT/NAME with a CATEGORY/ground_truth folder. */
    private static boolean inMvtecLayout(Path file) {
        Path defect = file.getParent();
        Path test = defect == null ? null : defect.getParent();
        Path category = test == null ? null : test.getParent();
        return category != null && test.getFileName().toString().equals(TEST) && Files.isDirectory(category.resolve(GROUND_TRUTH));
    }

    /**
     * The mask file of an MVTec-layout image, null for a {@code good} one.
     *
     * @param image CATEGORY/test/DEFECT/NAME.EXT
     */
    public static Path maskFile(Path image) {
        Path defect = image.getParent();
        if (defect.getFileName().toString().equals(GOOD)) {
            return null;
        }
        String name = image.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        return defect.getParent().getParent().resolve(GROUND_TRUTH).resolve(defect.getFileName().toString()).resolve(stem + MASK_SUFFIX);
    }

    /**
     * Item {@code index}'s mask in a grid of side {@code size}: size × size values, row-major, true = anomalous.
     *
     * @throws UncheckedIOException if a mask file cannot be read, with the file and the reason
     */
    public boolean[] mask(int index, int size) {
        boolean[] out = new boolean[size * size];
        if (mvtec) {
            ImageFolderDataset folder = (ImageFolderDataset) dataset;
            Path file = maskFile(folder.file(index));
            if (file != null) {
                fromImage(read(file, folder.budget()), size, out);
            }
        } else {
            SyntheticDataset synthetic = (SyntheticDataset) dataset;
            Rectangle box = synthetic.frame(index).region();
            fromBox(box, synthetic.imageSize(), size, out);
        }
        return out;
    }

    /** The box's pixels of a frame of side {@code frameSize}, scaled outwards to a grid of side {@code size}. */
    public static void fromBox(Rectangle box, int frameSize, int size, boolean[] out) {
        if (box == null || box.isEmpty()) {
            return;
        }
        double s = (double) size / frameSize;
        int x0 = Math.max(0, (int) Math.floor(box.x * s));
        int y0 = Math.max(0, (int) Math.floor(box.y * s));
        int x1 = Math.min(size, (int) Math.ceil((box.x + box.width) * s));
        int y1 = Math.min(size, (int) Math.ceil((box.y + box.height) * s));
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                out[y * size + x] = true;
            }
        }
    }

    /** Nearest neighbour: grid pixel g takes the mask pixel under its centre. */
    static void fromImage(BufferedImage mask, int size, boolean[] out) {
        int w = mask.getWidth();
        int h = mask.getHeight();
        Raster raster = mask.getRaster();
        // an 8-bit gray mask (MVTec AD's) is read as stored; getRGB would pass it through a colour conversion
        boolean gray8 = raster.getNumBands() == 1 && raster.getSampleModel().getSampleSize(0) == 8;
        for (int y = 0; y < size; y++) {
            int sy = Math.min(h - 1, (int) ((y + 0.5) * h / size));
            for (int x = 0; x < size; x++) {
                int sx = Math.min(w - 1, (int) ((x + 0.5) * w / size));
                int level = gray8 ? raster.getSample(sx, sy, 0) : (mask.getRGB(sx, sy) >> 16) & 0xff;
                out[y * size + x] = level > 127;
            }
        }
    }

    private static BufferedImage read(Path file, ImageReading.PixelBudget budget) {
        try {
            return ImageReading.read(file, budget, 0).image();
        } catch (IOException | RuntimeException e) {
            throw new UncheckedIOException(new IOException("ground-truth mask " + file + ": " + ImageReading.reason(e), e));
        }
    }
}
