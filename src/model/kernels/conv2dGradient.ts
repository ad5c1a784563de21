import {
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  engine,
  stridedSlice,
  tidy,
  type Conv2DAttrs,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropInputAttrs,
  type GradConfig,
  type NamedAttrMap,
  type Tensor,
  type Tensor4D,
  type Tensor5D,
} from '@tensorflow/tfjs';

function dilationPair(dilations: Conv2DAttrs['dilations']): [number, number] {
  return typeof dilations === 'number' ? [dilations, dilations] : dilations;
}

/** The filter with (dilation - 1) zeros between taps: the undilated filter that computes the same convolution. */
function spreadFilter(filter: Tensor4D, [dilationHeight, dilationWidth]: [number, number]): Tensor4D {
  if (dilationHeight === 1 && dilationWidth === 1) {
    return filter;
  }
  const [height, width, inChannels, outChannels] = filter.shape;
  return tidy(() =>
    filter
      .reshape<Tensor5D>([height, 1, width, 1, inChannels * outChannels])
      .pad([
        [0, 0],
        [0, dilationHeight - 1],
        [0, 0],
        [0, dilationWidth - 1],
        [0, 0],
      ])
      .reshape<Tensor4D>([height * dilationHeight, width * dilationWidth, inChannels, outChannels])
      .slice(
        [0, 0, 0, 0],
        [(height - 1) * dilationHeight + 1, (width - 1) * dilationWidth + 1, inChannels, outChannels],
      ),
  );
}

/**
 * Conv2D's gradient, as tfjs-core's, but also for dilations > 1 (which tfjs-core refuses, so no dilated
 * conv1d/conv2d layer could train on any backend): a dilated convolution is the undilated one with the
 * zero-spread filter, so dx is that convolution's input gradient and dFilter its filter gradient taken
 * at the taps that exist.
 */
export const conv2dGradientConfig: GradConfig = {
  kernelName: Conv2D,
  inputsToSave: ['x', 'filter'],
  gradFunc: (outputGradient: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const dy = outputGradient as Tensor4D;
    const [x, filter] = saved as [Tensor4D, Tensor4D];
    const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs as unknown as Conv2DAttrs;
    const dilation = dilationPair(dilations);
    const spread = spreadFilter(filter, dilation);
    const inputAttrs: Conv2DBackpropInputAttrs = { strides, pad, dataFormat, dimRoundingMode, inputShape: x.shape };
    const filterAttrs: Conv2DBackpropFilterAttrs = {
      strides,
      pad,
      dataFormat,
      dimRoundingMode,
      filterShape: spread.shape,
    };
    return {
      x: () => engine().runKernel(Conv2DBackpropInput, { dy, filter: spread }, inputAttrs as unknown as NamedAttrMap),
      filter: () => {
        const spreadGradient = engine().runKernel(
          Conv2DBackpropFilter,
          { x, dy },
          filterAttrs as unknown as NamedAttrMap,
        ) as Tensor4D;
        return spread === filter
          ? spreadGradient
          : stridedSlice(spreadGradient, [0, 0, 0, 0], spreadGradient.shape, [...dilation, 1, 1]);
      },
    };
  },
};
